#pragma once

#include <caf/expected.hpp>
#include <filesystem>
#include <memory>
#include <optional>

#include "installer/installer_log.hpp"

namespace vigil {

/// The installers' mutual exclusion (SPEC §3 exit code 1618), released by the
/// system when its holder ends, so a killed installer never blocks the next.
/// POSIX (installer/posix): an exclusive flock on the root directory itself,
/// so no lock file is left in the root. Windows (installer/windows): the
/// named mutex `Global\VigilSetup`, `Global\VigilSetup-<hash of the root>`
/// for a test root, which vigil-setup.exe, vigil-uninstall.exe and the
/// MSI's custom actions share. Held until destroyed.
class setup_lock {
public:
  /// Who asks for the lock.
  enum class caller {
    /// vigil-setup, vigil-uninstall, a native package's scripts. On Windows
    /// they are also busy while Windows Installer installs anything (it
    /// holds `Global\_MSIExecute`), as msiexec itself would be (1618).
    standalone,
    /// The MSI's own custom actions, which run inside that installation.
    windows_installer,
  };

  /// Takes the lock without waiting: `ec::busy` when another vigil-setup or
  /// vigil-uninstall holds it (or, for a standalone caller on Windows, while
  /// Windows Installer runs).
  static caf::expected<setup_lock> take(const std::filesystem::path& root,
                                        caller who = caller::standalone);

  setup_lock(setup_lock&& other) noexcept;
  setup_lock& operator=(setup_lock&&) = delete;
  ~setup_lock();

  /// `take`, or the run ended in `log` when it cannot be taken: 1618
  /// (`installer_exit::busy`) while another installer holds it, 1603
  /// otherwise, that code in `exit_code` for main to return.
  static std::optional<setup_lock> take_or_finish(const std::filesystem::path& root,
                                                  installer_log& log, int& exit_code,
                                                  caller who = caller::standalone);

private:
  /// What is held: the flock'ed descriptor; the owned mutex.
  struct held;
  explicit setup_lock(std::unique_ptr<held> h) noexcept;
  std::unique_ptr<held> held_;
};

} // namespace vigil
