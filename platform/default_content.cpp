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

namespace {

/// Appends collectors to a manifest.
struct manifest_builder {
  protocol::manifest& m;
  void add(std::string type, nlohmann::json spec = nlohmann::json::object()) {
    spec["type"] = type;
    m.collectors.push_back({std::move(type), std::move(spec)});
  }
};

// What a vulnerability and compliance team needs on Debian and RHEL-family
// hosts: the package inventory with versions (dpkg or rpm) and the kernel to
// match advisories, exposed services, and the settings CIS-style benchmarks
// check (sshd, login policy, sysctl hardening, accounts, cron, sudo).
void linux_manifest(const std::string& module, manifest_builder b) {
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
    b.add("os");
    b.add("network");
    b.add("packages");
  } else if (module == "Vulnerability") {
    b.add("os");
    b.add("packages");
    b.add("kernel_modules");
    b.add("listening_ports");
    b.add("services");
  } else if (module == "PolicyCompliance") {
    b.add("sysctl", {{"keys", hardening_keys}});
    b.add("users");
    b.add("services");
    b.add("file", {{"paths", auth_files},
                   {"regex", "^\\s*(PermitRootLogin|PasswordAuthentication|PermitEmptyPasswords|"
                             "PASS_MAX_DAYS|PASS_MIN_DAYS|PASS_WARN_AGE|minlen|Defaults)\\b.*"}});
    b.add("dir", {{"glob", {"/etc/cron.d/*", "/etc/cron.daily/*", "/etc/sudoers.d/*"}}});
  } else if (module == "SCA") {
    b.add("sysctl", {{"keys", hardening_keys}});
    b.add("file", {{"paths", {"/etc/ssh/sshd_config", "/etc/login.defs"}},
                   {"regex", "^\\s*(PermitRootLogin|PasswordAuthentication|PASS_MAX_DAYS)\\b.*"}});
    b.add("kernel_modules");
  } else if (module == "UDC") {
    b.add("dir", {{"glob", "/etc/*.conf"}});
  }
}

// The same needs on Windows, with the collectors Windows has (no sysctl,
// kernel_modules or command there): installed programs from the Uninstall
// keys and the build from RtlGetVersion to match advisories, exposed services
// and sockets, and the security settings benchmarks check in the registry
// (LSA and NTLM, UAC, Remote Desktop and its network level authentication,
// SMB signing and SMBv1, the firewall profiles, automatic logon, Windows
// Update), the accounts, the hosts file and what starts at logon. Paths are
// under the system drive ("/Windows/..." is C:\Windows\...).
void windows_manifest(const std::string& module, manifest_builder b) {
  auto registry = [&](std::string key, std::string value = {}) {
    nlohmann::json spec{{"key", "HKLM\\" + key}};
    if (!value.empty())
      spec["value"] = value;
    b.add("registry", spec);
  };
  const std::string control = "SYSTEM\\CurrentControlSet\\Control\\";
  const std::string firewall
    = "SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\";
  auto security_settings = [&] {
    registry(control + "Lsa");
    registry("SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System");
    registry(control + "Terminal Server", "fDenyTSConnections");
    registry(control + "Terminal Server\\WinStations\\RDP-Tcp", "UserAuthentication");
    registry("SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters");
    for (auto profile : {"DomainProfile", "StandardProfile", "PublicProfile"})
      registry(firewall + profile, "EnableFirewall");
  };
  const std::string hosts_file = "/Windows/System32/drivers/etc/hosts";
  if (module == "Inventory") {
    b.add("os");
    b.add("network");
    b.add("packages");
  } else if (module == "Vulnerability") {
    b.add("os");
    b.add("packages");
    b.add("listening_ports");
    b.add("services");
  } else if (module == "PolicyCompliance") {
    b.add("services");
    b.add("users");
    security_settings();
    registry("SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon", "AutoAdminLogon");
    registry("SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU", "NoAutoUpdate");
    // Entries of the hosts file: lines that are not comments.
    b.add("file", {{"paths", nlohmann::json::array({hosts_file})}, {"regex", "^\\s*[^#\\s]"}});
    b.add("dir", {{"glob", "/ProgramData/Microsoft/Windows/Start Menu/Programs/StartUp/*"}});
  } else if (module == "SCA") {
    security_settings();
    b.add("file", {{"paths", nlohmann::json::array({hosts_file})}, {"regex", "^\\s*[^#\\s]"}});
  } else if (module == "UDC") {
    b.add("dir", {{"glob", "/Windows/System32/drivers/etc/*"}});
  }
}

} // namespace

protocol::manifest default_manifest(const std::string& module, std::string_view os_family) {
  protocol::manifest m;
  m.module = module;
  m.version = 1;
  if (os_family == "windows")
    windows_manifest(module, {m});
  else
    linux_manifest(module, {m});
  return m;
}

std::string profile_etag(const protocol::profile& p) {
  auto copy = p;
  copy.etag = "-";
  return "\"" + protocol::sha256_hex(protocol::to_json(copy).dump()).substr(0, 20) + "\"";
}

} // namespace vigil::platform
