// vigil-healthcheck: the agent's local health check (SPEC §14, issue 8).

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "host/hive_store.hpp"
#include "host/logging.hpp"
#include "host/paths.hpp"
#include "tools/healthcheck/health_eval.hpp"
#include "tools/healthcheck/health_gather.hpp"
#include "tools/healthcheck/health_probes.hpp"
#include "tools/healthcheck/health_report.hpp"
#include "tools/healthcheck/health_time.hpp"
#include "vigil_version.hpp"

using namespace vigil;
using namespace vigil::health;
namespace fs = std::filesystem;

namespace {

constexpr const char* usage =
  "vigil-healthcheck [--root DIR] [--output-dir DIR] [--json] [--patch-url URL]\n"
  "                  [--patch-sha256 HEX] [--scan-grace SECONDS] [--help]\n"
  "  Checks the Vigil agent's health: installation, service, processes,\n"
  "  certificates, proxy, platform connectivity, communication, modules and\n"
  "  patch connectivity. Writes vigil_agent_health_check_<timestamp>.txt (concise)\n"
  "  and .json (detailed, see health_report.schema.json) to <root>/opt/vigil/HealthCheck\n"
  "  or --output-dir. --json also prints the JSON report on stdout (the progress\n"
  "  then goes to stderr). The patch URL and its SHA-256 come from the options,\n"
  "  else from the hive values HealthCheck\\PatchUrl and HealthCheck\\PatchSha256.\n"
  "  --scan-grace: seconds a module may be late past its scan interval (default:\n"
  "  12 intervals, at most 48 h). Finishes within 60 s whatever the network does.\n"
  "  Exit code: 0 Good, 1 Poor, 2 Bad, 3 Not Installed, 4 Not Provisioned,\n"
  "  5 Tool Error.\n";

/// Every network answer is awaited at most this long after the start.
constexpr auto network_deadline = std::chrono::seconds{40};
/// Per-operation limits of each probe's requests.
constexpr auto connect_timeout = std::chrono::seconds{8};
constexpr auto io_timeout = std::chrono::seconds{8};

struct options {
  std::optional<std::string> root;
  std::optional<fs::path> output_dir;
  bool json = false;
  std::optional<std::string> patch_url;
  std::optional<std::string> patch_sha256;
  int64_t scan_grace_s = -1;
};

int usage_error(const std::string& why) {
  std::cerr << "vigil-healthcheck: " << why << "\n" << usage;
  return exit_code_of(overall::tool_error);
}

/// The file-name timestamp: UTC to the millisecond, so runs never collide.
std::string file_stamp() {
  auto now = std::chrono::system_clock::now();
  auto s = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%d%H%M%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s%03lld", buffer, static_cast<long long>(ms));
  return out;
}

void step(std::ostream& out, int n, const std::string& what) {
  out << "CoreHealthCheck " << n << " : " << what << std::endl;
}

void result(std::ostream& out, const std::string& what) {
  out << "    " << what << std::endl;
}

std::string probe_line(const probe_fact& p) {
  char took[32];
  std::snprintf(took, sizeof took, "%.3f", p.seconds);
  return (p.route == "direct" ? std::string{"direct"} : "via " + p.route) + ": "
         + (p.succeeded ? "succeeded" : "failed (" + p.error.name + ")") + " in " + took + " s";
}

} // namespace

static int run_health_check(int argc, char** argv) {
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> args(argv + 1, argv + argc);
  options opt;
  opt.root = paths::take_root_option(args);
  for (size_t i = 0; i < args.size(); ++i) {
    auto& a = args[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= args.size())
        return std::nullopt;
      return args[++i];
    };
    if (a == "--help" || a == "-h" || a == "/?") {
      std::cout << usage;
      return 0;
    } else if (a == "--json") {
      opt.json = true;
    } else if (a == "--output-dir" || a == "--patch-url" || a == "--patch-sha256"
               || a == "--scan-grace") {
      auto v = value(a.c_str());
      if (!v || v->empty())
        return usage_error(a + " needs a value");
      if (a == "--output-dir")
        opt.output_dir = fs::path{*v};
      else if (a == "--patch-url")
        opt.patch_url = *v;
      else if (a == "--patch-sha256")
        opt.patch_sha256 = *v;
      else {
        char* end = nullptr;
        auto n = std::strtoll(v->c_str(), &end, 10);
        if (*end != '\0' || n < 0)
          return usage_error("--scan-grace needs a number of seconds, not '" + *v + "'");
        opt.scan_grace_s = n;
      }
    } else {
      return usage_error("unknown argument '" + a + "'");
    }
  }
  if (opt.root && opt.root->empty())
    return usage_error("--root needs a directory");
  // Route failures are reported in the report; the agent's own logs are not ours.
  module_logger(log_module::network)->set_level(spdlog::level::off);
  auto p = paths::from_environment(opt.root);
  std::ostream& out = opt.json ? std::cerr : std::cout;
  facts f;
  f.now = unix_now();
  f.scan_grace_s = opt.scan_grace_s;
  out << ".....\nPerforming Health Checks\n....." << std::endl;
  step(out, 1, "Verifying if the Vigil agent is installed on your system.");
  hive h;
  f.install = gather_install(p, h);
  bool installed = f.install.agent_binary && (f.install.hive_complete || !f.install.hive_error.empty());
  result(out, installed ? "installed, version " + (f.install.version.empty() ? "unknown" : f.install.version)
                        : std::string{"not installed"});
  std::optional<probe_runner> probes;
  if (installed) {
    step(out, 2, "Retrieving information about Vigil services currently running on your system.");
    f.service = gather_service(p);
    result(out, "vigil-agent (" + f.service->kind + "): " + (f.service->running ? "Running" : "Stopped"));
    gather_status(p, f);
    step(out, 3, "Retrieving information about Vigil processes currently running on your system.");
    f.processes = gather_processes(p, *f.service, f.status);
    for (auto& proc : f.processes)
      result(out, proc.role + " pid " + std::to_string(proc.pid) + ": CPU " + std::to_string(proc.cpu_ms)
                    + " ms, RSS " + std::to_string(proc.rss_mb) + " MB (peak "
                    + std::to_string(proc.peak_rss_mb) + " MB)");
    if (f.processes.empty())
      result(out, "no agent process runs");
    step(out, 4, "Retrieving certificate information");
    f.certificates = gather_certificates(p);
    for (auto& c : f.certificates)
      result(out, c.name + ": " + (c.installed ? "installed" : "not installed")
                    + (c.not_after ? ", expires " + format_time(c.not_after) : std::string{}));
    step(out, 5, "Retrieving proxy details");
    proxy_settings proxies;
    f.proxy = gather_proxy(p, h, proxies);
    result(out, f.proxy.proxy_urls.empty() ? std::string{"no proxy set"}
                                           : std::to_string(f.proxy.proxy_urls.size()) + " proxy URL(s)");
    gather_patch_config(h, opt.patch_url, opt.patch_sha256, f.patch);
    probe_config config;
    if (auto base = parse_url(f.install.web_service_uri))
      config.platform = *base;
    else if (!f.install.web_service_uri.empty())
      f.tool_errors.push_back({static_cast<int>(code_of(base.error())), to_string(code_of(base.error())),
                               "WebServiceUri: " + render(base.error())});
    config.proxies = proxies;
    config.client.connect_timeout = connect_timeout;
    config.client.io_timeout = io_timeout;
    config.client.user_agent = std::string{"vigil-healthcheck/"} + VIGIL_VERSION;
    if (auto bundle = p.state_dir() / "ca-bundle.pem"; fs::exists(bundle))
      config.client.trust.ca_bundle = bundle;
    probes.emplace(config, f.patch, started + network_deadline);
    step(out, 6, "Assessing connectivity to the backend system.");
    f.connectivity = probes->connectivity();
    for (auto& c : f.connectivity)
      result(out, c.url + " " + probe_line(c));
    step(out, 7, "Retrieving information about Agent communication.");
    if (f.status)
      result(out, "last check-in " + format_time(f.status->last_checkin)
                    + (f.status->last_checkin_error.empty() ? std::string{}
                                                             : ", last error: " + f.status->last_checkin_error));
    else
      result(out, "no agent state: " + f.status_error.text);
    step(out, 8, "Gathering details about Vigil modules installed on the system.");
    if (f.status)
      for (auto& m : f.status->modules)
        result(out, m.name + ": " + (m.activated ? std::string{to_string(m.state)} + ", last scan "
                                                       + format_time(m.last_scan_end)
                                                 : std::string{"not activated"}));
    step(out, 9, "Assessing patch connectivity.");
    f.patch = probes->patch();
    if (!f.patch.configured)
      result(out, "no patch URL configured");
    for (auto& a : f.patch.attempts)
      result(out, a.url + " " + probe_line(a));
    gather_disk(p, f);
  } else {
    for (int n = 2; n <= 9; ++n)
      step(out, n, "skipped: the agent is not installed");
  }
  out << "\nEvaluating overall health of the system.\n" << std::endl;
  auto v = evaluate(f);
  auto text = text_report(f, v);
  auto json = json_report(f, v, {VIGIL_VERSION});
  auto dir = opt.output_dir ? *opt.output_dir : p.health_check_dir();
  auto base = "vigil_agent_health_check_" + file_stamp();
  std::error_code ec;
  fs::create_directories(dir, ec);
  auto json_file = dir / (base + ".json");
  auto text_file = dir / (base + ".txt");
  // The report names CustomerID and ActivationID: its reader is root alone.
  auto wrote = write_file_atomically(json_file, json, 0600);
  if (wrote)
    wrote = write_file_atomically(text_file, text, 0600);
  out << text;
  int code = exit_code_of(v.status);
  if (!wrote) {
    std::cerr << "vigil-healthcheck: cannot write the reports: " << render(wrote.error()) << "\n";
    code = exit_code_of(overall::tool_error);
  } else {
    out << "Detailed Report Location : " << json_file.string() << "\n";
    out << "Concise Text Report Location : " << text_file.string() << std::endl;
  }
  if (opt.json)
    std::cout << json << std::flush;
  // A probe abandoned at the deadline still runs in its thread: end without
  // static destructors pulling OpenSSL and the loggers from under it.
  if (probes && probes->abandoned()) {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}

int main(int argc, char** argv) {
  try {
    return run_health_check(argc, argv);
  } catch (const std::exception& e) { // the tool itself failed: say so, never crash
    std::cerr << "vigil-healthcheck: internal error: " << e.what() << "\n";
    return exit_code_of(overall::tool_error);
  }
}
