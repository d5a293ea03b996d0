// vigil-reg: reg.exe for Vigil's hive (SPEC §2).

#include <iostream>
#include <unistd.h>

#include "common/error.hpp"
#include "host/paths.hpp"
#include "tools/reg_command.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto root = vigil::paths::take_root_option(args);
  if (root && root->empty()) {
    std::cerr << "ERROR: Invalid syntax: --root needs a directory.\n";
    return 1;
  }
  auto command = vigil::parse_reg_command(args);
  if (!command) {
    std::cerr << "ERROR: Invalid syntax: " << vigil::context_of(command.error()) << ".\n"
              << "Type \"vigil-reg /?\" for usage.\n";
    return 1;
  }
  auto paths = vigil::paths::from_environment(root);
  auto hive = vigil::open_hive_store(paths);
  vigil::reg_console console{std::cout, std::cerr, [](const std::string& question) {
    std::optional<bool> answer;
    if (!::isatty(STDIN_FILENO))
      return answer;
    for (;;) {
      std::cout << question << std::flush;
      std::string line;
      if (!std::getline(std::cin, line))
        return std::optional<bool>{false};
      if (!line.empty() && (line[0] == 'y' || line[0] == 'Y'))
        return std::optional<bool>{true};
      if (!line.empty() && (line[0] == 'n' || line[0] == 'N'))
        return std::optional<bool>{false};
    }
  }};
  return vigil::run_reg_command(*command, *hive, console);
}
