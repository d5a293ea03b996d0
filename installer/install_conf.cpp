#include "installer/install_conf.hpp"

#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "installer/enrollment.hpp"

namespace vigil {

std::vector<std::string> install_conf_lines(std::string_view text) {
  std::vector<std::string> args;
  std::istringstream lines{std::string{text}};
  for (std::string line; std::getline(lines, line);) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#')
      continue;
    auto last = line.find_last_not_of(" \t\r");
    args.push_back(line.substr(first, last - first + 1));
  }
  return args;
}

caf::expected<setup_request> parse_install_conf(std::string_view text,
                                                const std::vector<std::string>& defaults) {
  auto args = merge_install_args(defaults, install_conf_lines(text));
  auto request = parse_setup_args(args);
  if (!request)
    return request.error();
  if (request->action != setup_action::install)
    return make_error(ec::invalid_argument,
                      std::string{"the configuration describes a fresh install ("}
                        + "CustomerId=, ActivationId=, WebServiceUri= ...); it cannot ask for "
                        + to_string(request->action)
                        + ": the package manager chooses (an upgrade of the package is "
                          "PatchInstall=TRUE)");
  return request;
}

} // namespace vigil
