#include "host/paths.hpp"

#include <cstdlib>

namespace fs = std::filesystem;

namespace vigil {

paths::paths(fs::path root) : root_{fs::absolute(std::move(root)).lexically_normal()} {
  // "/tmp/x/" normalizes to "/tmp/x/"; strip the trailing separator so that
  // joining relative paths gives one clean path.
  if (root_.has_relative_path() && !root_.has_filename())
    root_ = root_.parent_path();
}

paths paths::from_environment(const std::optional<std::string>& root_arg) {
  if (root_arg && !root_arg->empty())
    return paths{*root_arg};
  if (const char* env = std::getenv("VIGIL_ROOT"); env && *env)
    return paths{env};
  return paths{system_root()};
}

std::optional<std::string> paths::take_root_option(std::vector<std::string>& args) {
  std::optional<std::string> result;
  for (auto i = args.begin(); i != args.end();) {
    if (*i == "--root") {
      auto next = std::next(i);
      result = next == args.end() ? std::string{} : *next;
      i = args.erase(i, next == args.end() ? next : std::next(next));
    } else if (i->rfind("--root=", 0) == 0) {
      result = i->substr(7);
      i = args.erase(i);
    } else {
      ++i;
    }
  }
  return result;
}

fs::path paths::under(std::string_view relative) const {
  return root_ / fs::path{relative};
}

} // namespace vigil
