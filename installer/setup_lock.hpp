#pragma once

#include <caf/expected.hpp>
#include <filesystem>

namespace vigil {

/// The installers' mutual exclusion (SPEC §3 exit code 1618): an exclusive
/// flock on the root directory itself, so no lock file is left in the root and
/// a killed installer releases it with its process. Held until destroyed.
class setup_lock {
public:
  /// Takes the lock without waiting: `ec::busy` when another vigil-setup or
  /// vigil-uninstall holds it.
  static caf::expected<setup_lock> take(const std::filesystem::path& root);

  setup_lock(setup_lock&& other) noexcept;
  setup_lock& operator=(setup_lock&&) = delete;
  ~setup_lock();

private:
  explicit setup_lock(int fd) : fd_{fd} {}
  int fd_ = -1;
};

} // namespace vigil
