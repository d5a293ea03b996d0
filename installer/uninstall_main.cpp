// vigil-uninstall: removes the agent (SPEC §4).

#include <iostream>

#include "common/error.hpp"
#include "common/redact.hpp"
#include "host/agent_status.hpp"
#include "host/hive_file.hpp"
#include "host/paths.hpp"
#include "host/secret_box.hpp"
#include "host/service_manager.hpp"
#include "installer/installer_log.hpp"
#include "installer/setup_args.hpp"
#include "installer/setup_lock.hpp"
#include "host/self_protection.hpp"
#include "installer/uninstall_args.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

/// Removes everything in `dir` but `keep` (a file name), then `dir` if empty.
caf::expected<void> remove_all_but(const fs::path& dir, const std::string& keep) {
  std::error_code err;
  if (!fs::exists(dir, err))
    return {};
  for (auto& entry : fs::directory_iterator(dir, err)) {
    if (entry.path().filename() == keep)
      continue;
    fs::remove_all(entry.path(), err);
    if (err)
      return make_system_error(err.value(), "remove " + entry.path().string());
  }
  fs::remove(dir, err); // fails harmlessly when `keep` is still there
  return {};
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto root = paths::take_root_option(args);
  auto request = parse_uninstall_args(args);
  if (!request) {
    std::cerr << "vigil-uninstall: " << context_of(request.error()) << "\n";
    return installer_exit::invalid_command_line;
  }
  if (request->action == uninstall_action::help) {
    std::cout << uninstall_usage();
    return installer_exit::success;
  }
  if (request->spf_key)
    register_secret(*request->spf_key);
  auto p = paths::from_environment(root);
  installer_log log{p, "vigil-uninstall"};
  log.write("run: " + to_log_string(*request));
  auto lock = setup_lock::take(p.root());
  if (!lock)
    return log.finish(code_of(lock.error()) == ec::busy ? installer_exit::busy
                                                         : installer_exit::fatal,
                  render(lock.error()));
  std::error_code ignored;
  bool installed = fs::exists(p.program_files(), ignored) || fs::exists(p.systemd_unit(), ignored);
  // SPEC §13: while self-protection is on, only a valid SPFKEY removes the
  // agent; files and hive stay untouched otherwise.
  hive_file hive{p.hive_file()};
  if (auto gate = pass_spfkey_gate(hive, request->spf_key, unix_now()); !gate)
    return log.finish(installer_exit::fatal, "uninstall refused: " + render(gate.error()));
  auto service = make_service_manager(p);
  if (installed) {
    if (auto ok = service->stop(); !ok)
      return log.finish(installer_exit::fatal, "cannot stop the agent: " + render(ok.error()));
    if (auto ok = service->remove(); !ok)
      return log.finish(installer_exit::fatal, render(ok.error()));
    fs::remove_all(self_protection_dropin(p).parent_path(), ignored);
    fs::remove_all(p.program_files(), ignored);
    if (ignored)
      return log.finish(installer_exit::fatal, "cannot remove " + p.program_files().string());
  }
  // Program data goes, the installer's own log stays (SPEC §1).
  auto log_name = p.installer_log().filename().string();
  if (auto ok = remove_all_but(p.program_data(), log_name); !ok)
    return log.finish(installer_exit::fatal, render(ok.error()));
  if (auto ok = remove_all_but(p.fallback_log_dir(), log_name); !ok)
    return log.finish(installer_exit::fatal, render(ok.error()));
  if (request->force) {
    // A clean uninstall: the identity goes too; a reinstall makes a new HostID.
    for (auto& file : {p.hive_file(), fs::path{p.hive_file().string() + ".lock"},
                       secret_box::host_key_file(p)})
      fs::remove(file, ignored);
    fs::remove(p.hive_file().parent_path(), ignored); // only if empty
    log.write("Force=True: hive and host key removed");
  }
  if (!installed)
    return log.finish(installer_exit::success, "nothing was installed");
  return log.finish(installer_exit::success,
                request->force ? "uninstalled (hive removed)"
                               : "uninstalled (hive kept: HostID, CustomerId, ActivationId)");
}
