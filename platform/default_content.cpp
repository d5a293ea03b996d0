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
  // What a vulnerability and compliance team needs on Debian and RHEL-family
  // hosts: the package inventory with versions (dpkg or rpm) and the kernel to
  // match advisories, exposed services, and the settings CIS-style benchmarks
  // check (sshd, login policy, sysctl hardening, accounts, cron, sudo).
  nlohmann::json auth_files = {"/etc/ssh/sshd_config", "/etc/login.defs", "/etc/pam.d/common-password",
                               "/etc/pam.d/system-auth", "/etc/security/pwquality.conf",
                               "/etc/sudoers", "/etc/passwd", "/etc/group", "/etc/shadow",
                               "/etc/crontab", "/etc/hosts.allow", "/etc/hosts.deny"};
  nlohmann::json hardening_keys = {
    "net.ipv4.ip_forward", "net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.all.send_redirects",
    "net.ipv4.conf.all.accept_source_route", "net.ipv4.conf.all.rp_filter",
    "net.ipv4.tcp_syncookies", "net.ipv4.icmp_echo_ignore_broadcasts",
    "net.ipv6.conf.all.accept_redirects", "net.ipv6.conf.all.accept_ra",
    "kernel.randomize_va_space", "kernel.kptr_restrict", "kernel.dmesg_restrict",
    "kernel.yama.ptrace_scope", "fs.suid_dumpable", "fs.protected_hardlinks",
    "fs.protected_symlinks"};
  if (module == "Inventory") {
    add("os");
    add("network");
    add("packages");
  } else if (module == "Vulnerability") {
    add("os");
    add("packages");
    add("kernel_modules");
    add("listening_ports");
    add("services");
  } else if (module == "PolicyCompliance") {
    add("sysctl", {{"keys", hardening_keys}});
    add("users");
    add("services");
    add("file", {{"paths", auth_files},
                 {"regex", "^\\s*(PermitRootLogin|PasswordAuthentication|PermitEmptyPasswords|"
                           "PASS_MAX_DAYS|PASS_MIN_DAYS|PASS_WARN_AGE|minlen|Defaults)\\b.*"}});
    add("dir", {{"glob", {"/etc/cron.d/*", "/etc/cron.daily/*", "/etc/sudoers.d/*"}}});
  } else if (module == "SCA") {
    add("sysctl", {{"keys", hardening_keys}});
    add("file", {{"paths", {"/etc/ssh/sshd_config", "/etc/login.defs"}},
                 {"regex", "^\\s*(PermitRootLogin|PasswordAuthentication|PASS_MAX_DAYS)\\b.*"}});
    add("kernel_modules");
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
