#include "installer/uninstall_run.hpp"

#include "common/error.hpp"
#include "host/agent_status.hpp"
#include "host/hive_store.hpp"
#include "host/secret_box.hpp"
#include "host/self_protection.hpp"
#include "host/service_manager.hpp"
#include "installer/running_program.hpp"
#include "installer/setup_args.hpp"

namespace fs = std::filesystem;

namespace vigil {

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

std::vector<fs::path> identity_files(const paths& p) {
  return {p.hive_file(), fs::path{p.hive_file().string() + ".lock"},
          secret_box::host_key_file(p)};
}

int run_uninstall(const paths& p, const uninstall_request& request, installer_log& log,
                  program_files_owner files) {
  std::error_code ignored;
  auto service = make_service_manager(p);
  bool installed = fs::exists(p.program_files(), ignored) || service->registered();
  // SPEC §13: while self-protection is on, only a valid SPFKEY removes the
  // agent; files and hive stay untouched otherwise.
  auto store = open_hive_store(p);
  auto& hive = *store;
  auto before = hive.load();
  bool was_protected = before && self_protection_enabled(*before, unix_now());
  if (auto gate = pass_spfkey_gate(hive, request.spf_key, unix_now()); !gate)
    return log.finish(installer_exit::fatal, "uninstall refused: " + render(gate.error()));
  if (installed) {
    if (auto ok = service->stop(); !ok)
      return log.finish(installer_exit::fatal, "cannot stop the agent: " + render(ok.error()));
    if (auto ok = service->remove(); !ok)
      return log.finish(installer_exit::fatal, render(ok.error()));
    fs::remove_all(self_protection_dropin(p).parent_path(), ignored);
    if (files == program_files_owner::uninstaller) {
      if (auto moved = move_running_program_out_of(p.program_files()); !moved)
        return log.finish(installer_exit::fatal, render(moved.error()));
      std::error_code err;
      fs::remove_all(p.program_files(), err);
      if (err)
        return log.finish(installer_exit::fatal,
                          "cannot remove " + p.program_files().string() + ": " + err.message());
    } else {
      // dpkg removes the files it installed (bin/, VERSION) after this
      // script; what setup or the agent added beside them goes now, so
      // the directory can go too (HealthCheck reports, a self-patch's
      // previous version).
      std::vector<fs::path> added;
      for (auto& entry : fs::directory_iterator(p.program_files(), ignored))
        if (auto name = entry.path().filename(); name != "bin" && name != "VERSION")
          added.push_back(entry.path());
      for (auto& extra : added)
        fs::remove_all(extra, ignored);
      for (auto& extra : {p.program_files().string() + ".previous",
                          p.program_files().string() + ".staging"})
        fs::remove_all(extra, ignored);
    }
  }
  // Program data goes, the installer's own log stays (SPEC §1).
  auto log_name = p.installer_log().filename().string();
  if (auto ok = remove_all_but(p.program_data(), log_name); !ok)
    return log.finish(installer_exit::fatal, render(ok.error()));
  if (auto ok = remove_all_but(p.fallback_log_dir(), log_name); !ok)
    return log.finish(installer_exit::fatal, render(ok.error()));
  // The key turned protection off for the removal only: the kept hive says
  // "protected" again, so a reinstall is protected and the key stays spent.
  if (was_protected && !request.force)
    if (auto ok = set_protection_requested(hive, true); !ok)
      log.write("cannot restore the self-protection request: " + render(ok.error()));
  if (request.force) {
    // A clean uninstall: the identity goes too; a reinstall makes a new HostID.
    if (auto erased = hive.erase(); !erased)
      return log.finish(installer_exit::fatal, "Force=True: cannot remove the hive "
                                                 + hive.location() + ": " + render(erased.error()));
    fs::remove(secret_box::host_key_file(p), ignored);
    for (auto& file : hive.files())
      fs::remove(file.parent_path(), ignored); // only if empty
    log.write("Force=True: hive and host key removed");
  }
  if (!installed)
    return log.finish(installer_exit::success, "nothing was installed");
  return log.finish(installer_exit::success,
                request.force ? "uninstalled (hive removed)"
                               : "uninstalled (hive kept: HostID, CustomerId, ActivationId)");
}

} // namespace vigil
