#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vigil {

/// Every path of SPEC §1, resolved under one root prefix: `/` in production, a
/// temporary directory in tests. Nothing in Vigil builds a system path any other
/// way, so a test root never touches the real system.
class paths {
public:
  /// Paths under `root` (made absolute).
  explicit paths(std::filesystem::path root);

  /// The root named by `root_arg` (from `--root DIR`), else by the `VIGIL_ROOT`
  /// environment variable, else `system_root()`.
  static paths from_environment(const std::optional<std::string>& root_arg);

  /// The root of the real system: `/` on POSIX; on Windows the system drive's
  /// root directory (`%SystemDrive%\`, e.g. `C:\`).
  static std::filesystem::path system_root();

  /// Whether `root()` is `system_root()`. On Windows the layout then follows
  /// the system's own folders (%ProgramFiles%, %ProgramData%, %SystemRoot%)
  /// wherever they are, rather than their default names under the root.
  bool is_system_root() const;

  /// Removes `--root DIR` or `--root=DIR` from `args` and returns DIR, so every
  /// binary accepts the option the same way. Returns nothing when absent; an
  /// option without its directory is returned as an empty string.
  static std::optional<std::string> take_root_option(std::vector<std::string>& args);

  /// The root prefix itself.
  const std::filesystem::path& root() const noexcept { return root_; }

  // The getters below give the Linux layout; Windows' (SPEC §18,
  // host/windows/paths_layout.cpp) is: program files
  // `<root>\Program Files\Vigil\VigilAgent`, program data
  // `<root>\ProgramData\Vigil\VigilAgent`, log fallback
  // `<root>\Windows\Logs\Vigil`, each the system's real folder when
  // `is_system_root()`. The getters with no Windows meaning (hive_file,
  // machine_id_file, etc_environment, resolv_conf, systemd_unit, install_conf)
  // return a path under program data's `unused` folder there, which nothing
  // creates: reading them finds nothing (the settings are in the registry,
  // host/registry_hive.hpp; the machine-id is MachineGuid).

  /// `<root>/opt/vigil`: program files (bin/, lib/, VERSION).
  std::filesystem::path program_files() const;
  std::filesystem::path bin_dir() const;
  /// One of Vigil's programs in bin_dir(): `name` on POSIX, `name.exe` on
  /// Windows ("vigil-uninstall").
  std::filesystem::path program(std::string_view name) const;
  std::filesystem::path lib_dir() const;
  std::filesystem::path version_file() const;
  /// `<root>/opt/vigil/HealthCheck`: default output of vigil-healthcheck.
  std::filesystem::path health_check_dir() const;

  /// `<root>/var/opt/vigil`: program data (state/, Log/, Manifests/, Patch/).
  std::filesystem::path program_data() const;
  std::filesystem::path state_dir() const;
  /// `<root>/var/opt/vigil/state/store`: the agent's RocksDB directory.
  std::filesystem::path store_dir() const;
  std::filesystem::path log_dir() const;
  std::filesystem::path manifests_dir() const;
  std::filesystem::path patch_dir() const;
  /// `<root>/var/log/vigil`: where logs go when the Log dir is not writable.
  std::filesystem::path fallback_log_dir() const;
  /// `<root>/var/opt/vigil/CloudAgentInstaller.log`.
  std::filesystem::path installer_log() const;
  /// `<root>/var/log/vigil/CloudAgentInstaller.log`, used when program data is
  /// not writable.
  std::filesystem::path fallback_installer_log() const;

  /// `<root>/etc/opt/vigil/registry.reg`: the hive (SPEC §2).
  std::filesystem::path hive_file() const;

  /// `<root>/etc/opt/vigil/host.key` (beside the hive): the key material
  /// secret_box seals with (host/machine_key.hpp). Windows: `host.key` in
  /// program data, sealed by DPAPI.
  std::filesystem::path host_key_file() const;
  /// `<root>/etc/machine-id`, an input of the machine fingerprint.
  std::filesystem::path machine_id_file() const;
  /// `<root>/etc/environment`, a source of the system proxy settings.
  std::filesystem::path etc_environment() const;
  /// `<root>/etc/resolv.conf`: the search domains WPAD tries.
  std::filesystem::path resolv_conf() const;
  /// `<root>/etc/systemd/system/vigil-agent.service`.
  std::filesystem::path systemd_unit() const;
  /// `<root>/etc/vigil/install.conf`: the native package's install
  /// configuration (vigil-setup's arguments, one a line), written by the
  /// administrator before `dpkg -i`.
  std::filesystem::path install_conf() const;

private:
  std::filesystem::path under(std::string_view relative) const;

  std::filesystem::path root_;
};

} // namespace vigil
