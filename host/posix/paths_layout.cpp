// Where SPEC §1 puts things on Linux (paths.hpp): the FHS's /opt, /var/opt and
// /etc/opt, under the root prefix.
#include "host/paths.hpp"

namespace fs = std::filesystem;

namespace vigil {

fs::path paths::system_root() { return "/"; }
bool paths::is_system_root() const { return root_ == "/"; }

fs::path paths::program_files() const { return under("opt/vigil"); }
fs::path paths::bin_dir() const { return under("opt/vigil/bin"); }
fs::path paths::program(std::string_view name) const { return bin_dir() / name; }
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
fs::path paths::host_key_file() const { return under("etc/opt/vigil/host.key"); }
fs::path paths::machine_id_file() const { return under("etc/machine-id"); }
fs::path paths::etc_environment() const { return under("etc/environment"); }
fs::path paths::resolv_conf() const { return under("etc/resolv.conf"); }
fs::path paths::systemd_unit() const { return under("etc/systemd/system/vigil-agent.service"); }
fs::path paths::install_conf() const { return under("etc/vigil/install.conf"); }

} // namespace vigil
