#include "platform/default_content.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "protocol/modules.hpp"
#include "protocol/sha256.hpp"

namespace vigil::platform {

protocol::profile default_profile(const std::string& activation_id,
                                  const std::vector<std::string>& licensed_modules) {
  protocol::profile p;
  p.config_id = "profile-" + activation_id;
  for (auto name : protocol::scan_module_names) {
    bool licensed = name == "Inventory"
                    || std::find(licensed_modules.begin(), licensed_modules.end(), name)
                         != licensed_modules.end();
    if (!licensed)
      continue;
    protocol::module_config m;
    m.name = std::string{name};
    m.activated = true;
    m.scan_interval_s = 4 * 3600;
    m.cpu_limit = 100;
    p.modules.push_back(std::move(m));
  }
  p.etag = profile_etag(p);
  return p;
}

protocol::manifest default_manifest(const std::string& module) {
  protocol::manifest m;
  m.module = module;
  m.version = 1;
  auto add = [&](std::string type, nlohmann::json spec = nlohmann::json::object()) {
    spec["type"] = type;
    m.collectors.push_back({std::move(type), std::move(spec)});
  };
  if (module == "Inventory") {
    add("os");
    add("network");
    add("packages");
  } else if (module == "Vulnerability") {
    add("os");
    add("packages");
    add("kernel_modules");
    add("listening_ports");
  } else if (module == "PolicyCompliance" || module == "SCA") {
    add("sysctl");
    add("users");
    add("services");
    add("file", {{"paths", {"/etc/ssh/sshd_config", "/etc/login.defs", "/etc/passwd"}}});
  } else if (module == "UDC") {
    add("dir", {{"glob", "/etc/*.conf"}});
  }
  return m;
}

std::string profile_etag(const protocol::profile& p) {
  auto copy = p;
  copy.etag = "-";
  return "\"" + protocol::sha256_hex(protocol::to_json(copy).dump()).substr(0, 20) + "\"";
}

} // namespace vigil::platform
