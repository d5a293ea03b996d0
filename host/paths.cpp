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
  return paths{"/"};
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

fs::path paths::program_files() const { return under("opt/vigil"); }
fs::path paths::bin_dir() const { return under("opt/vigil/bin"); }
fs::path paths::lib_dir() const { return under("opt/vigil/lib"); }
fs::path paths::version_file() const { return under("opt/vigil/VERSION"); }
fs::path paths::health_check_dir() const { return under("opt/vigil/HealthCheck"); }
fs::path paths::program_data() const { return under("var/opt/vigil"); }
fs::path paths::state_dir() const { return under("var/opt/vigil/state"); }
fs::path paths::store_dir() const { return under("var/opt/vigil/state/store"); }
fs::path paths::log_dir() const { return under("var/opt/vigil/Log"); }
fs::path paths::manifests_dir() const { return under("var/opt/vigil/Manifests"); }
fs::path paths::patch_dir() const { return under("var/opt/vigil/Patch"); }
fs::path paths::fallback_log_dir() const { return under("var/log/vigil"); }
fs::path paths::installer_log() const { return under("var/opt/vigil/CloudAgentInstaller.log"); }
fs::path paths::fallback_installer_log() const {
  return under("var/log/vigil/CloudAgentInstaller.log");
}
fs::path paths::hive_file() const { return under("etc/opt/vigil/registry.reg"); }
fs::path paths::machine_id_file() const { return under("etc/machine-id"); }
fs::path paths::etc_environment() const { return under("etc/environment"); }
fs::path paths::resolv_conf() const { return under("etc/resolv.conf"); }
fs::path paths::systemd_unit() const { return under("etc/systemd/system/vigil-agent.service"); }
fs::path paths::install_conf() const { return under("etc/vigil/install.conf"); }

} // namespace vigil
