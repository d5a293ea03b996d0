// vigil-proxy: the agent's proxy configuration tool (SPEC §10, the guide's
// QualysProxy).

#include <iostream>
#include <unistd.h>

#include "common/error.hpp"
#include "host/password_input.hpp"
#include "host/paths.hpp"
#include "tools/proxy_command.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto root = vigil::paths::take_root_option(args);
  if (root && root->empty()) {
    std::cerr << "vigil-proxy: --root needs a directory\n";
    return 2;
  }
  auto command = vigil::parse_proxy_command(args);
  if (!command) {
    std::cerr << "vigil-proxy: " << vigil::context_of(command.error())
              << "\nType \"vigil-proxy --help\" for usage.\n";
    return 2;
  }
  if (command->help) {
    std::cout << vigil::proxy_usage();
    return 0;
  }
  // `/p -`: the password comes on standard input, never in /proc/PID/cmdline.
  if (command->proxy) {
    if (auto read = vigil::read_proxy_password(*command->proxy, STDIN_FILENO); !read) {
      std::cerr << "vigil-proxy: /p -: " << vigil::context_of(read.error())
                << "\nThe proxy settings are unchanged.\n";
      return 2;
    }
  }
  auto p = vigil::paths::from_environment(root);
  auto hive = vigil::open_hive_store(p);
  auto result = vigil::apply_proxy_command(*command, *hive, p);
  if (!result) {
    std::cerr << "vigil-proxy: " << vigil::render(result.error())
              << (command->changes() ? "\nThe proxy settings are unchanged.\n" : "\n");
    return 1;
  }
  if (command->changes())
    std::cout << (command->remove ? "The agent's proxy settings were deleted.\n"
                                  : "The agent's proxy settings were updated.\n");
  if (command->show)
    std::cout << vigil::render_proxy_config(*result);
  return 0;
}
