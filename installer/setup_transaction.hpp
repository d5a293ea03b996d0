#pragma once

#include <caf/expected.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "host/paths.hpp"
#include "host/service_manager.hpp"
#include "installer/installer_log.hpp"

namespace vigil {

/// What a run of vigil-setup writes besides the files (from its arguments).
struct install_settings {
  std::optional<std::string> customer_id;     ///< absent for PatchInstall
  std::optional<std::string> activation_id;   ///< absent for PatchInstall
  std::optional<std::string> web_service_uri; ///< absent for PatchInstall
  std::optional<std::filesystem::path> ca_bundle;
  /// The platform's public root key to pin in the hive (`Trust\RootKey`).
  std::optional<std::string> trust_root;
  /// Hive values under `Proxy` (already encrypted where secret), name -> data.
  std::vector<std::pair<std::string, std::string>> proxy_values;
  bool golden_image = false; ///< install but do not start
  /// The native package's scripts: the package manager has put the program
  /// files in place, so stage-files and swap-files are skipped (the payload
  /// is not read) and every other step runs as for vigil-setup.
  bool files_in_place = false;
  /// Keep the previous version's files in `<program files>.previous` after
  /// committing: the upgrade watcher removes them once the new version is
  /// proven, or puts them back (SPEC §12).
  bool keep_previous = false;
};

/// One install or upgrade, all or nothing (SPEC §3): each step registers how
/// to undo itself, and a failure at any step undoes the completed ones in
/// reverse, leaving files, hive and service as they were (and removing the
/// directories the run created). Steps: stop-service, stage-files,
/// swap-files (both do nothing with `files_in_place`), keep-reference-copy,
/// write-hive, install-ca-bundle, register-service, start-service. A test
/// can make a step fail after it acted through the environment variable
/// VIGIL_SETUP_FAIL_AT=<step>.
class setup_transaction {
public:
  setup_transaction(paths p, installer_log& log, service_manager& service);
  ~setup_transaction();

  /// Writes the new program files into a directory (vigil-setup: extracts
  /// its payload archive there).
  using unpack_function = std::function<caf::expected<void>(const std::filesystem::path& dir)>;

  /// Installs with `settings`; `unpack` fills the staging directory (not
  /// called with `files_in_place`).
  caf::expected<void> run(const unpack_function& unpack, const install_settings& settings);

private:
  caf::expected<void> step(const std::string& name, const std::function<caf::expected<void>()>& act);
  void rollback();
  /// Creates `dir` and missing parents, remembering which to remove on rollback.
  caf::expected<void> make_dirs(const std::filesystem::path& dir, unsigned mode = 0755);
  /// Remembers `file`'s bytes (or absence) so rollback restores them.
  void keep_original(const std::filesystem::path& file);

  paths paths_;
  installer_log& log_;
  service_manager& service_;
  std::vector<std::pair<std::string, std::function<void()>>> undo_;
  bool committed_ = false;
};

} // namespace vigil
