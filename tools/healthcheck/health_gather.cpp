#include "host/atomic_file.hpp"
#include "tools/healthcheck/health_gather.hpp"

#include <chrono>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <fstream>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sstream>

#include "common/error.hpp"
#include "host/hive_store.hpp"
#include "host/pinned_keys.hpp"
#include "host/self_protection.hpp"
#include "host/proxy_config.hpp"
#include "host/secret_box.hpp"
#include "host/service_manager.hpp"
#include "host/supervisor.hpp"
#include "tools/healthcheck/host_facts.hpp"

namespace vigil::health {

namespace {

namespace fs = std::filesystem;

named_error named(const caf::error& e) {
  auto code = code_of(e);
  return {static_cast<int>(code), to_string(code), render(e)};
}

std::string hive_string(const hive& h, std::string_view key, std::string_view name) {
  if (auto* v = h.get(key, name))
    if (auto s = v->as_string())
      return *s;
  return {};
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.erase(s.begin());
  return s;
}

std::string read_text(const fs::path& file) {
  std::ifstream in{file};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// `tm` (UTC, as ASN1_TIME_to_tm fills it) as Unix seconds, without timegm,
/// which Windows' C runtime lacks.
int64_t unix_seconds_of(const std::tm& tm) {
  using namespace std::chrono;
  auto day = sys_days{year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)}
                      / static_cast<unsigned>(tm.tm_mday)};
  return (day + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec})
    .time_since_epoch()
    .count();
}

/// Every certificate in a PEM file: count, first subject, earliest notAfter.
certificate_fact read_certificates(const fs::path& file, std::string default_name, bool pinned) {
  certificate_fact c;
  c.name = std::move(default_name);
  c.path = file.string();
  c.pinned = pinned;
  auto text = read_whole_file(file);
  if (!text) {
    if (code_of(text.error()) != ec::not_found)
      c.error = named(text.error());
    return c;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new_mem_buf(text->data(), static_cast<int>(text->size())),
                                               BIO_free};
  while (X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    std::unique_ptr<X509, decltype(&X509_free)> cert{raw, X509_free};
    if (++c.certificates == 1 && pinned) {
      std::unique_ptr<BIO, decltype(&BIO_free)> out{BIO_new(BIO_s_mem()), BIO_free};
      X509_NAME_print_ex(out.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253);
      char* data = nullptr;
      auto n = BIO_get_mem_data(out.get(), &data);
      c.name = std::string{data, static_cast<size_t>(n)};
    }
    if (pinned) {
      std::tm tm{};
      if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) == 1) {
        auto t = unix_seconds_of(tm);
        c.not_after = c.not_after == 0 ? t : std::min(c.not_after, t);
      }
    }
  }
  ERR_clear_error(); // the loop ends on "no start line"
  c.installed = c.certificates > 0;
  if (!c.installed)
    c.error = {static_cast<int>(ec::parse_error), "parse_error", file.string() + " holds no PEM certificate"};
  return c;
}

int64_t tree_mb(const fs::path& dir) {
  std::error_code ec;
  uintmax_t total = 0;
  for (fs::recursive_directory_iterator it{dir, fs::directory_options::skip_permission_denied, ec}, end;
       !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      auto n = it->file_size(size_ec);
      if (!size_ec)
        total += n;
    }
  }
  return static_cast<int64_t>(total / (1024 * 1024));
}

std::string lower_hex(std::string s) {
  s = trimmed(std::move(s));
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

} // namespace

certificate_fact read_pem_certificates(const fs::path& file, std::string name, bool pinned) {
  return read_certificates(file, std::move(name), pinned);
}

install_fact gather_install(const paths& p, hive& out_hive) {
  install_fact f;
  std::error_code ec;
  f.agent_binary = fs::exists(p.program("vigil-agent"), ec);
  f.version = trimmed(read_text(p.version_file()));
  if (auto marker = load_upgrade_marker(p))
    f.upgrade = std::move(*marker);
  else
    f.upgrade.state = "unreadable";
  auto loaded = open_hive_store(p)->load();
  if (!loaded) {
    f.hive_error = named(loaded.error());
    return f;
  }
  if (loaded->empty()) // nothing stored: not installed
    return f;
  f.hive_present = true;
  out_hive = std::move(*loaded);
  auto key = std::string{agent_key};
  f.customer_id = hive_string(out_hive, key, "CustomerId");
  f.activation_id = hive_string(out_hive, key, "ActivationId");
  f.host_id = hive_string(out_hive, key, "HostID");
  f.web_service_uri = hive_string(out_hive, key, "WebServiceUri");
  f.hive_complete = !f.customer_id.empty() && !f.activation_id.empty() && !f.web_service_uri.empty();
  f.trust_root_pinned = static_cast<bool>(read_pinned_keys(out_hive));
  auto protection = read_protection_state(out_hive, unix_now());
  f.protection_requested = protection.requested;
  f.protection_off_until = protection.off_until.value_or(0);
  if (auto lsm = read_whole_file("/sys/kernel/security/lsm"))
    f.bpf_lsm = ("," + *lsm + ",").find(",bpf,") != std::string::npos;
  return f;
}

service_fact gather_service(const paths& p) {
  service_fact f;
  auto manager = make_service_manager(p);
  f.kind = manager->kind();
  f.running = manager->running();
  f.main_pid = service_main_pid(p, f.kind);
  // A Windows service's process is the agent: when it is gone, the service
  // does not run, whatever the service manager says.
  if (f.running && f.kind == "windows-service" && f.main_pid > 0 && !runs_vigil_agent(f.main_pid)) {
    f.running = false;
    f.ended_pid = f.main_pid;
  }
  return f;
}

std::vector<process_fact> gather_processes(const paths& p, const service_fact& service,
                                           const std::optional<agent_status>& status) {
  std::vector<process_fact> out;
  std::vector<int> agents;
  if (status && runs_vigil_agent(status->pid))
    agents.push_back(status->pid);
  if (service.main_pid > 0 && service.kind == "supervisor") {
    if (auto sup = read_process(service.main_pid, "supervisor"))
      out.push_back(*sup);
    for (auto child : agent_children(service.main_pid))
      if (std::find(agents.begin(), agents.end(), child) == agents.end())
        agents.push_back(child);
  }
  // A Windows service's process is the agent itself.
  if (service.main_pid > 0 && service.kind == "windows-service"
      && std::find(agents.begin(), agents.end(), service.main_pid) == agents.end()
      && runs_vigil_agent(service.main_pid))
    agents.push_back(service.main_pid);
  for (auto pid : agents)
    if (auto a = read_process(pid, "agent"))
      out.push_back(*a);
  return out;
}

std::vector<certificate_fact> gather_certificates(const paths& p) {
  std::vector<certificate_fact> out;
  out.push_back(read_pem_certificates(p.state_dir() / "ca-bundle.pem", "Pinned CA bundle", true));
  // The system trust store is the real one even under a test root: it is what
  // the agent's TLS client trusts (SPEC §11).
  out.push_back(system_trust_fact());
  return out;
}

proxy_fact gather_proxy(const paths& p, const hive& h, proxy_settings& out) {
  proxy_fact f;
  auto config = read_proxy_config(h);
  f.proxy_urls = config.proxy_urls;
  for (auto& item : config.proxy_urls) {
    if (auto u = parse_url(item))
      out.proxies.push_back(*u);
    else if (f.error.empty())
      f.error = named(u.error());
  }
  out.credentialed = out.proxies; // the administrator's own list (/u)
  out.credentials_to_any = config.credentials_to_any;
  f.pac_file_path = config.pac_url.value_or("");
  f.direct_attempt_enabled = config.direct_fallback;
  f.system_proxy_enabled = config.system_proxy;
  f.wpad_enabled = config.wpad;
  out.direct_fallback = config.direct_fallback;
  out.credentials.username = config.username.value_or("");
  f.credentials = !out.credentials.username.empty();
  if (config.sealed_password && !config.sealed_password->empty()) {
    auto box = secret_box::open(p);
    auto plain = box ? box->open_sealed(*config.sealed_password, proxy_password_purpose)
                     : caf::expected<std::string>{box.error()};
    if (plain)
      out.credentials.password = std::move(*plain);
    else
      f.error = named(plain.error());
  }
  return f;
}

void gather_status(const paths& p, facts& f) {
  auto loaded = load_agent_status(p);
  if (loaded) {
    f.status = std::move(*loaded);
    return;
  }
  f.status_missing = code_of(loaded.error()) == ec::not_found;
  f.status_error = named(loaded.error());
}

void gather_disk(const paths& p, facts& f) {
  std::error_code ec;
  auto where = fs::exists(p.program_data(), ec) ? p.program_data() : p.root();
  if (auto space = fs::space(where, ec); !ec)
    f.free_disk_mb = static_cast<int64_t>(space.available / (1024 * 1024));
  f.program_data_mb = tree_mb(p.program_data());
  f.program_files_mb = tree_mb(p.program_files());
}

void gather_patch_config(const hive& h, const std::optional<std::string>& url_option,
                         const std::optional<std::string>& sha256_option, patch_fact& out) {
  std::string key{agent_key};
  key += "\\HealthCheck";
  out.url = url_option ? *url_option : hive_string(h, key, "PatchUrl");
  out.expected_sha256 = lower_hex(sha256_option ? *sha256_option : hive_string(h, key, "PatchSha256"));
  out.configured = !out.url.empty();
}

} // namespace vigil::health
