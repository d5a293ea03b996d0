// vigil-uninstall: removes the agent (SPEC §4), and runs the native package's
// maintainer scripts' steps (`--package-script`).

#include <iostream>

#include "common/error.hpp"
#include "common/redact.hpp"
#include "host/paths.hpp"
#include "installer/installer_log.hpp"
#include "installer/maintainer_scripts.hpp"
#include "installer/package_script.hpp"
#include "installer/setup_args.hpp"
#include "installer/setup_lock.hpp"
#include "installer/uninstall_args.hpp"
#include "installer/uninstall_run.hpp"

using namespace vigil;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto root = paths::take_root_option(args);
  // The native package's maintainer scripts run the install and removal
  // steps through this installed program (installer/package_script.hpp).
  if (!args.empty() && args.front() == package_script_option)
    return run_package_script(paths::from_environment(root), {args.begin() + 1, args.end()});
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
  int refused = 0;
  auto lock = setup_lock::take_or_finish(p.root(), log, refused);
  if (!lock)
    return refused;
  return run_uninstall(p, *request, log, program_files_owner::uninstaller);
}
