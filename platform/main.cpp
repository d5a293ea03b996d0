// vigil-platform: the reference platform (SPEC §16, §17).

#include <charconv>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <stop_token>
#include <thread>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <pthread.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/text.hpp"
#include "host/atomic_file.hpp"
#include "installer/enrollment.hpp"
#include "installer/install_run.hpp"
#include "installer/setup_args.hpp"
#include "net/certificates.hpp"
#include "net/https_server.hpp"
#include "net/local_command.hpp"
#include "platform/admin_commands.hpp"
#include "platform/duration.hpp"
#include "platform/line_log.hpp"
#include "platform/platform_store.hpp"
#include "platform/service.hpp"
#include "platform/signing_key_file.hpp"

using nlohmann::json;
namespace fs = std::filesystem;
using namespace vigil;

namespace {

constexpr const char* usage =
  "vigil-platform: the reference Vigil platform.\n"
  "  vigil-platform serve --data-dir DIR [--listen HOST:PORT] [--threads N]\n"
  "      [--store postgresql://USER@HOST/DB]\n"
  "      the store: DIR's own RocksDB by default; a PostgreSQL database that several\n"
  "      instances share (each with its own DIR holding the same ca.pem, ca.key,\n"
  "      server certificate and signing key)\n"
  "      [--rollout-halt-rollbacks N] [--rollout-halt-percent P]\n"
  "      a release's rollout halts itself once at least N (default 3) of the hosts\n"
  "      that tried it rolled back and they are at least P % (default 50) of them\n"
  "  vigil-platform customer create --data-dir DIR [--modules Vulnerability,PolicyCompliance,...]\n"
  "  vigil-platform assets --data-dir DIR [--json]\n"
  "  vigil-platform profile set --data-dir DIR --activation {GUID} KEY=VALUE...\n"
  "      keys: CapiIntervalSeconds LogLevel TargetVersion RolloutPercent SelfProtection Modules\n"
  "            ScanIntervalSeconds[.Module] CpuLimit[.Module] BlackoutWindows (JSON array)\n"
  "  vigil-platform rows --data-dir DIR --host {GUID} --module NAME\n"
  "  vigil-platform manifest set --data-dir DIR --module NAME [--os linux|windows] FILE\n"
  "      FILE is the module's manifest as JSON ({\"collectors\":[...]}) for the hosts of\n"
  "      that OS family (default linux; a host's family is its inventory's at\n"
  "      provisioning); prints Version=N, the next version, which agents fetch\n"
  "  vigil-platform order add --data-dir DIR --host {GUID} --order JSON\n"
  "      JSON is an order: {\"type\":\"uninstall\"}, {\"type\":\"scan\",\"module\":\"Inventory\"},\n"
  "      {\"type\":\"self_protection\",\"enabled\":true}, {\"type\":\"reprovision\"},\n"
  "      {\"type\":\"upgrade\",\"target_version\":\"X.Y.Z\"}; signed with the root key and\n"
  "      delivered until the agent acknowledges it; prints OrderId=...\n"
  "  vigil-platform spfkey --data-dir DIR --host {GUID} [--valid 24h]\n"
  "      prints SPFKEY=<key>: an uninstall key for that host (SPEC 13)\n"
  "  vigil-platform release add --data-dir DIR FILE [--valid 30d] [--patch-level 1-19]\n"
  "      FILE is a vigil-setup file; prints Version=X.Y.Z and Serial=N. --patch-level\n"
  "      also makes binary patches from the 3 highest earlier releases (PatchFrom=V each):\n"
  "      hosts on those download only the difference (19: smallest, about a minute each)\n"
  "  vigil-platform release list --data-dir DIR [--json]\n"
  "  vigil-platform package --data-dir DIR --type setup|deb|rpm --activation {GUID}\n"
  "      [--url URL] [--setup FILE] --out FILE\n"
  "      an installer that enrolls hosts here: vigil-setup with no arguments, or dpkg -i\n"
  "      or rpm -i with no /etc/vigil/install.conf (rpm: made with rpmbuild, which must\n"
  "      be installed here); it carries URL (default\n"
  "      https://HOSTNAME:8443/CloudAgent/), DIR/ca.pem, DIR/signing-key.pub and the\n"
  "      customer's IDs; arguments given at install win. FILE: the vigil-setup to start\n"
  "      from (default: the one beside this program)\n"
  "Admin commands work while `serve` runs (through DIR/admin.sock).\n";

struct options {
  std::vector<std::string> words;  ///< positional arguments
  std::map<std::string, std::string> named;
  bool json_output = false;
};

int fail(const std::string& message, int code = 1) {
  std::cerr << "vigil-platform: " << message << "\n";
  return code;
}

int64_t unix_now() {
  return static_cast<int64_t>(std::time(nullptr));
}

std::string iso_now() {
  char buf[32];
  auto t = std::time(nullptr);
  tm parts{};
  gmtime_r(&t, &parts);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buf;
}

/// Appends one line per request to DIR/requests.log, flushed at once so tests
/// and administrators see it live.
class request_log {
public:
  explicit request_log(const fs::path& file) : file_{std::fopen(file.c_str(), "a")} {
  }
  ~request_log() {
    if (file_)
      std::fclose(file_);
  }
  void write(const platform::request_record& r) {
    if (!file_)
      return;
    std::lock_guard guard{mutex_};
    std::fprintf(file_, "%s %s %s host=%s status=%u in=%zu out=%zu conn=%llu%s%s\n",
                 iso_now().c_str(), r.method.c_str(), r.target.c_str(),
                 r.host_id.empty() ? "-" : r.host_id.c_str(), r.status, r.request_bytes,
                 r.response_bytes, static_cast<unsigned long long>(r.connection),
                 r.outcome.empty() ? "" : " ", r.outcome.c_str());
    std::fflush(file_);
  }

private:
  std::FILE* file_;
  std::mutex mutex_;
};

int serve(const options& opts) {
  fs::path dir = opts.named.at("data-dir");
  auto listen = opts.named.count("listen") ? opts.named.at("listen") : "127.0.0.1:8443";
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    return fail("--listen wants HOST:PORT, got '" + listen + "'", 2);
  auto host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535)
    return fail("invalid port in --listen '" + listen + "'", 2);
  std::error_code ignored;
  fs::create_directories(dir, ignored);
  // Signals go to the main thread's sigwait only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (auto certs = ensure_platform_certificates(dir, {host}); !certs)
    return fail("certificates: " + render(certs.error()));
  // The store: DIR's RocksDB, owned by this process; or a PostgreSQL
  // database shared with other instances, which then serialize through its
  // advisory locks (--store, remembered in DIR/store.url).
  auto storage = platform::open_platform_storage(
    dir, opts.named.count("store") ? opts.named.at("store") : std::string{});
  if (!storage)
    return fail(opts.named.count("store") || fs::exists(platform::store_url_file(dir))
                  ? "cannot open the PostgreSQL store: " + render(storage.error())
                  : "cannot open the store (is another vigil-platform serving " + dir.string()
                      + "?): " + render(storage.error()),
                code_of(storage.error()) == ec::invalid_argument ? 2 : 1);
  auto& store = storage->store;
  auto signer = platform::ensure_signing_key(dir);
  if (!signer)
    return fail("signing key: " + render(signer.error()));
  request_log log{dir / "requests.log"};
  platform::line_log orders_log{dir / "orders.log"};
  platform::service_options service_opts;
  service_opts.order_log = [&](const std::string& line) { orders_log.write(line); };
  service_opts.signer = std::make_shared<const signing_key>(std::move(*signer));
  service_opts.data_dir = dir;
  service_opts.instance_locks = storage->instance_locks;
  service_opts.notice = [](const std::string& line) {
    std::cerr << "vigil-platform: " << line << std::endl;
  };
  for (auto [flag, field] : {std::pair{"rollout-halt-rollbacks", &platform::halt_rule::min_rollbacks},
                             std::pair{"rollout-halt-percent", &platform::halt_rule::percent}}) {
    if (!opts.named.count(flag))
      continue;
    auto& text = opts.named.at(flag);
    int n = -1;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), n);
    bool percent = field == &platform::halt_rule::percent;
    if (err != std::errc{} || end != text.data() + text.size() || n < (percent ? 0 : 1)
        || (percent && n > 100))
      return fail("--" + std::string{flag} + " wants a number " + (percent ? "from 0 to 100" : "of at least 1")
                    + ", got '" + text + "'", 2);
    service_opts.rollout_halt.*field = n;
  }
  platform::platform_service service{*store, service_opts, unix_now,
                                     [&](const platform::request_record& r) { log.write(r); }};
  if (auto ok = service.initialize(); !ok)
    return fail(render(ok.error()));
  server_options server_opts;
  server_opts.listen_host = host;
  server_opts.port = static_cast<uint16_t>(port);
  server_opts.certificate_chain = dir / "server.pem";
  server_opts.private_key = dir / "server.key";
  server_opts.max_body_bytes = 8 * 1024 * 1024;
  if (opts.named.count("threads"))
    server_opts.threads = static_cast<unsigned>(std::stoul(opts.named.at("threads")));
  auto server = https_server::start(server_opts, [&](const http_request& request) {
    return service.handle(request);
  });
  if (!server)
    return fail(render(server.error()));
  auto admin = local_command_server::start(dir / "admin.sock", [&](const std::string& request) {
    return platform::run_admin_command(service, request);
  });
  if (!admin)
    return fail(render(admin.error()));
  // Check-in times reach the store about once a second (see flush_checkins).
  std::jthread flusher{[&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::mutex m;
      std::unique_lock lock{m};
      std::condition_variable_any{}.wait_for(lock, stop, std::chrono::seconds{1},
                                             [&] { return stop.stop_requested(); });
      if (auto ok = service.flush_checkins(); !ok)
        std::cerr << "vigil-platform: saving check-ins: " << render(ok.error()) << "\n";
    }
  }};
  auto shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::cout << "listening https://" << shown << ":" << (*server)->port() << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  std::cerr << "vigil-platform: " << (received == SIGTERM ? "SIGTERM" : "SIGINT")
            << ": stopping\n";
  (*server)->stop();
  (*admin)->stop();
  flusher.request_stop();
  flusher.join();
  if (auto ok = service.flush_checkins(); !ok)
    return fail("saving check-ins: " + render(ok.error()));
  return 0;
}

/// Runs an admin command on the running server, or offline when none runs.
int admin(const options& opts, const json& command, const std::function<int(const json&)>& show);

/// `vigil-platform package` (issue 19, item 3): an installer carrying this
/// platform's URL, CA, public root key and an activation's IDs.
int make_package(const options& opts) {
  for (auto* required : {"type", "activation", "out"})
    if (!opts.named.count(required))
      return fail(std::string{"package: --"} + required + " is required", 2);
  auto type = opts.named.at("type");
  installer_kind kind = installer_kind::setup;
  if (type == "deb")
    kind = installer_kind::deb;
  else if (type == "rpm")
    kind = installer_kind::rpm;
  else if (type != "setup")
    return fail("package: --type is setup, deb or rpm, not '" + type + "'", 2);
  fs::path dir = opts.named.at("data-dir");
  enrollment e;
  e.activation_id = opts.named.at("activation");
  if (opts.named.count("url")) {
    e.web_service_uri = opts.named.at("url");
  } else {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    e.web_service_uri = std::string{"https://"} + host + ":8443/CloudAgent/";
  }
  auto ca = read_whole_file(dir / "ca.pem");
  if (!ca)
    return fail("package: " + (dir / "ca.pem").string() + ": " + render(ca.error())
                + " (run `serve` once first)");
  e.ca_pem = std::move(*ca);
  if (auto signer = platform::ensure_signing_key(dir); !signer)
    return fail("package: signing key: " + render(signer.error()));
  auto key = read_trust_key(platform::signing_public_key_file(dir).string());
  if (!key)
    return fail("package: " + context_of(key.error()));
  e.trust_key = std::move(*key);
  if (int rc = admin(opts, {{"command", "activation"}, {"activation", e.activation_id}},
                     [&](const json& r) {
                       e.customer_id = r.value("customer_id", "");
                       return 0;
                     });
      rc != 0)
    return rc;
  // What the hosts will check: refused here rather than on every host.
  auto args = enrollment_args(enrollment_conf_text(e), fs::path{dir / "ca.pem"});
  if (auto checked = parse_setup_args(args); !checked)
    return fail("package: " + context_of(checked.error()), 2);
  fs::path setup = opts.named.count("setup")
                     ? fs::path{opts.named.at("setup")}
                     : fs::read_symlink("/proc/self/exe").parent_path() / "vigil-setup";
  auto bytes = make_enrolled_installer(setup, e, kind);
  if (!bytes)
    return fail("package: " + setup.string() + ": " + render(bytes.error()));
  fs::path out = opts.named.at("out");
  if (auto ok = write_file_atomically(out, *bytes, kind == installer_kind::setup ? 0755 : 0644);
      !ok)
    return fail("package: " + render(ok.error()));
  std::cout << "wrote " << out.string() << " (" << bytes->size() << " bytes) for CustomerId="
            << e.customer_id << " ActivationId=" << e.activation_id
            << " WebServiceUri=" << e.web_service_uri << "\n";
  return 0;
}

int admin(const options& opts, const json& command, const std::function<int(const json&)>& show) {
  fs::path dir = opts.named.at("data-dir");
  std::optional<platform::line_log> orders_log; // offline only: the server keeps its own
  platform::admin_channel channel{dir, [&]() -> caf::expected<platform::service_options> {
    orders_log.emplace(dir / "orders.log");
    platform::service_options service_opts;
    service_opts.notice = [](const std::string& line) {
      std::cerr << "vigil-platform: " << line << std::endl;
    };
    service_opts.order_log = [&](const std::string& line) { orders_log->write(line); };
    // Only releases, orders and uninstall keys are signed; another command
    // must not fail for the key.
    auto name = command.value("command", "");
    if (name == "release_add" || name == "order_add" || name == "spfkey") {
      auto signer = platform::ensure_signing_key(dir);
      if (!signer)
        return make_error(code_of(signer.error()), "signing key: " + render(signer.error()));
      service_opts.signer = std::make_shared<const signing_key>(std::move(*signer));
    }
    return service_opts;
  }};
  auto ran = channel.run(command.dump());
  if (!ran)
    return fail(render(ran.error()));
  auto answer = *ran;
  auto parsed = json::parse(answer, nullptr, false);
  if (parsed.is_discarded() || !parsed.value("ok", false))
    return fail(parsed.is_discarded() ? "malformed answer" : parsed.value("error", "failed"));
  return show(parsed["result"]);
}

std::string format_time(int64_t t) {
  if (t == 0)
    return "never";
  char buf[32];
  auto tt = static_cast<time_t>(t);
  tm parts{};
  gmtime_r(&tt, &parts);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buf;
}

int show_assets(const json& hosts, bool as_json) {
  if (as_json) {
    std::cout << hosts.dump(2) << "\n";
    return 0;
  }
  std::cout << hosts.size() << " host(s)\n";
  for (auto& h : hosts) {
    std::cout << h.value("host_id", "") << "  " << h.value("hostname", "")
              << "  fingerprint=" << h.value("fingerprint", "").substr(0, 16)
              << "  provisioned=" << format_time(h.value("provisioned_at", int64_t{0}))
              << "  last_checkin=" << format_time(h.value("last_checkin", int64_t{0})) << "\n";
    if (h.contains("upgrade")) {
      auto& u = h["upgrade"];
      std::cout << "    agent " << h.value("agent_version", "?") << ", upgrade "
                << u.value("state", "none");
      if (!u.value("target", "").empty())
        std::cout << " " << u.value("target", "");
      if (!u.value("reason", "").empty())
        std::cout << " (" << u.value("reason", "") << ")";
      if (u.value("at", int64_t{0}) != 0)
        std::cout << " at " << format_time(u.value("at", int64_t{0}));
      if (!h.value("target_version", "").empty())
        std::cout << "; target " << h.value("target_version", "") << ": "
                  << h.value("rollout", "");
      std::cout << "\n";
    }
    for (auto& [module, state] : h["modules"].items())
      std::cout << "    " << module << ": seq " << state.value("last_seq", 0) << ", "
                << state.value("rows", 0) << " rows\n";
    if (h.contains("orders"))
      for (auto& o : h["orders"]) {
        std::cout << "    order " << o.value("id", "") << " " << o.value("type", "") << ": "
                  << o.value("state", "");
        if (!o.value("reason", "").empty())
          std::cout << " (" << o.value("reason", "") << ")";
        std::cout << " at " << format_time(o.value("at", int64_t{0})) << "\n";
      }
    for (auto& d : h["duplicates"])
      std::cout << "    DUPLICATE: fingerprint " << d.value("fingerprint", "").substr(0, 16)
                << " used this HostID " << d.value("count", 0)
                << " time(s); ordered to re-provision\n";
  }
  return 0;
}

int show_releases(const json& releases, bool as_json) {
  if (as_json) {
    std::cout << releases.dump(2) << "\n";
    return 0;
  }
  std::cout << releases.size() << " release(s)\n";
  for (auto& r : releases) {
    std::cout << r.value("version", "") << "  serial " << r.value("serial", uint64_t{0})
              << "  " << r.value("size", uint64_t{0}) << " bytes  expires "
              << format_time(r.value("expires_at", int64_t{0}))
              << (r.value("expired", false) ? " (EXPIRED)" : "") << "  tried "
              << r.value("tried", uint64_t{0}) << ", succeeded " << r.value("succeeded", uint64_t{0})
              << ", rolled back " << r.value("rolled_back", uint64_t{0});
    if (r.value("halted", false))
      std::cout << "  HALTED at " << format_time(r.value("halted_at", int64_t{0}));
    std::cout << "\n";
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    auto& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
    if (a == "--json") {
      opts.json_output = true;
    } else if (a.rfind("--", 0) == 0) {
      auto eq = a.find('=');
      if (eq != std::string::npos) {
        opts.named[a.substr(2, eq - 2)] = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        opts.named[a.substr(2)] = args[++i];
      } else {
        return fail("option " + a + " needs a value", 2);
      }
    } else {
      opts.words.push_back(a);
    }
  }
  if (opts.words.empty())
    return fail(std::string{"no command given\n"} + usage, 2);
  if (!opts.named.count("data-dir"))
    return fail("--data-dir DIR is required", 2);
  auto& w = opts.words;
  if (w[0] == "serve")
    return serve(opts);
  if (w[0] == "customer" && w.size() > 1 && w[1] == "create") {
    std::vector<std::string> modules;
    if (opts.named.count("modules")) {
      std::string list = opts.named.at("modules");
      for (size_t start = 0; start <= list.size();) {
        auto end = list.find(',', start);
        auto m = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!m.empty())
          modules.push_back(m);
        if (end == std::string::npos)
          break;
        start = end + 1;
      }
    }
    return admin(opts, {{"command", "customer_create"}, {"modules", modules}}, [](const json& r) {
      std::cout << "CustomerId=" << r.value("customer_id", "") << "\n"
                << "ActivationId=" << r.value("activation_id", "") << "\n";
      return 0;
    });
  }
  if (w[0] == "assets")
    return admin(opts, {{"command", "assets"}},
                 [&](const json& r) { return show_assets(r, opts.json_output); });
  if (w[0] == "profile" && w.size() > 1 && w[1] == "set") {
    if (!opts.named.count("activation"))
      return fail("--activation {GUID} is required", 2);
    std::vector<std::string> assignments(w.begin() + 2, w.end());
    return admin(opts,
                 {{"command", "profile_set"},
                  {"activation", opts.named.at("activation")},
                  {"assignments", assignments}},
                 [](const json& r) {
                   std::cout << r.dump(2) << "\n";
                   return 0;
                 });
  }
  if (w[0] == "rows") {
    if (!opts.named.count("host") || !opts.named.count("module"))
      return fail("--host and --module are required", 2);
    return admin(opts,
                 {{"command", "rows"}, {"host", opts.named.at("host")},
                  {"module", opts.named.at("module")}},
                 [](const json& r) {
                   std::cout << r.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
                   return 0;
                 });
  }
  if (w[0] == "manifest" && w.size() > 1 && w[1] == "set") {
    if (w.size() != 3 || !opts.named.count("module"))
      return fail("manifest set takes --module NAME and one FILE (JSON)", 2);
    std::ifstream in{w[2], std::ios::binary};
    if (!in)
      return fail("cannot read " + w[2], 2);
    auto manifest = json::parse(in, nullptr, false);
    if (manifest.is_discarded())
      return fail(w[2] + " is not JSON", 2);
    auto os = opts.named.count("os") ? opts.named.at("os") : "linux";
    return admin(opts,
                 {{"command", "manifest_set"},
                  {"module", opts.named.at("module")},
                  {"os", os},
                  {"manifest", manifest}},
                 [](const json& r) {
                   std::cout << "Version=" << r.value("version", int64_t{0}) << "\n";
                   return 0;
                 });
  }
  if (w[0] == "order" && w.size() > 1 && w[1] == "add") {
    if (!opts.named.count("host") || !opts.named.count("order"))
      return fail("--host and --order are required", 2);
    auto order = json::parse(opts.named.at("order"), nullptr, false);
    if (order.is_discarded())
      return fail("--order is not JSON", 2);
    return admin(opts, {{"command", "order_add"}, {"host", opts.named.at("host")}, {"order", order}},
                 [](const json& r) {
                   std::cout << "OrderId=" << r.value("id", "") << "\n";
                   return 0;
                 });
  }
  if (w[0] == "spfkey") {
    if (!opts.named.count("host"))
      return fail("--host {GUID} is required", 2);
    int64_t valid_s = platform::default_spfkey_validity_s;
    if (opts.named.count("valid")) {
      auto parsed = platform::parse_duration(opts.named.at("valid"));
      if (!parsed)
        return fail("--valid: " + context_of(parsed.error()), 2);
      valid_s = *parsed;
    }
    return admin(opts,
                 {{"command", "spfkey"}, {"host", opts.named.at("host")}, {"valid_s", valid_s}},
                 [](const json& r) {
                   std::cout << "SPFKEY=" << r.value("spfkey", "") << "\n";
                   return 0;
                 });
  }
  if (w[0] == "release" && w.size() > 1 && w[1] == "add") {
    if (w.size() != 3)
      return fail("release add takes one FILE (a vigil-setup file)", 2);
    int64_t valid_s = platform::default_release_validity_s;
    if (opts.named.count("valid")) {
      auto parsed = platform::parse_duration(opts.named.at("valid"));
      if (!parsed)
        return fail("--valid: " + context_of(parsed.error()), 2);
      valid_s = *parsed;
    }
    int patch_level = 0;
    if (opts.named.count("patch-level")) {
      auto level = parse_int64(opts.named.at("patch-level"));
      if (!level || *level < 1 || *level > 19)
        return fail("--patch-level: a zstd level from 1 to 19", 2);
      patch_level = static_cast<int>(*level);
    }
    // The running server reads the file itself: give it a path from anywhere.
    std::error_code ignored;
    auto file = fs::absolute(w[2], ignored);
    return admin(opts,
                 {{"command", "release_add"},
                  {"file", file.string()},
                  {"valid_s", valid_s},
                  {"patch_level", patch_level}},
                 [](const json& r) {
                   std::cout << "Version=" << r.value("version", "") << "\n"
                             << "Serial=" << r.value("serial", uint64_t{0}) << "\n";
                   for (auto& from : r.value("patches_from", json::array()))
                     std::cout << "PatchFrom=" << from.get<std::string>() << "\n";
                   return 0;
                 });
  }
  if (w[0] == "package")
    return make_package(opts);
  if (w[0] == "release" && w.size() > 1 && w[1] == "list")
    return admin(opts, {{"command", "release_list"}},
                 [&](const json& r) { return show_releases(r, opts.json_output); });
  return fail("unknown command '" + w[0] + "'\n" + usage, 2);
}
