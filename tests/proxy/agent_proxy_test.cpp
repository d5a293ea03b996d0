// The real vigil-agent behind real tinyproxy instances, configured with the
// real vigil-proxy (SPEC §10; the guide's QualysProxy examples 1-6). Loopback
// only; every wait is on a condition with a deadline.

#include <doctest/doctest.h>
#include <csignal>
#include <cstdlib>
#include <random>

#include "host/agent_status.hpp"
#include "host/hive_file.hpp"
#include "host/paths.hpp"
#include "tests/proxy/pac_server.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string agent_path = "HKLM\\SOFTWARE\\Vigil\\VigilAgent";
// tinyproxy's BasicAuth takes alphanumeric passwords only.
const std::string user = "alice";
const std::string password = "Secret123";

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

/// Requests a proxy relayed (tinyproxy logs this after authentication).
size_t relayed(const test::tinyproxy& proxy) {
  return count(proxy.log(), "Established connection to host");
}

std::string base64(const std::string& in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out += table[(v >> s) & 63];
  }
  if (i < in.size()) {
    unsigned v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size())
      v |= uint8_t(in[i + 1]) << 8;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < in.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string hex(const std::string& in, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : in) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

/// A platform, a host root set up as setup leaves it, and the agent on it.
struct site {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  fs::path root = dir / "host";
  std::unique_ptr<test::child_process> agent;

  site() {
    // The agent must see only the proxy settings the tests give it.
    for (auto* name : {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy",
                       "NO_PROXY"})
      ::unsetenv(name);
    auto ids = platform.create_customer("Vulnerability");
    REQUIRE(test::run({test::program("vigil-platform").string(), "profile", "set", "--data-dir",
                       platform.data_dir().string(), "--activation", ids.second,
                       "CapiIntervalSeconds=1"})
              .exit_code == 0);
    auto reg = [&](const std::string& name, const std::string& value) {
      REQUIRE(test::run({test::program("vigil-reg").string(), "--root", root.string(), "add",
                         agent_path, "/v", name, "/d", value, "/f"})
                .exit_code == 0);
    };
    reg("CustomerId", ids.first);
    reg("ActivationId", ids.second);
    reg("WebServiceUri", platform.web_service_uri());
    std::random_device rd;
    std::string id;
    for (int i = 0; i < 32; ++i)
      id += "0123456789abcdef"[rd() % 16];
    test::write_file(root / "etc/machine-id", id + "\n");
    fs::create_directories(root / "var/opt/vigil/state");
    fs::copy_file(platform.ca_file(), root / "var/opt/vigil/state/ca-bundle.pem",
                  fs::copy_options::overwrite_existing);
  }

  ~site() {
    if (agent) {
      agent->signal(SIGTERM);
      agent->wait();
    }
  }

  void proxy(std::vector<std::string> args) {
    std::vector<std::string> argv{test::program("vigil-proxy").string(), "--root", root.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = test::run(argv);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }

  void start() {
    agent = std::make_unique<test::child_process>(
      std::vector<std::string>{test::program("vigil-agent").string(), "--root", root.string(),
                               "--foreground"},
      root.string() + ".agent.out");
  }

  size_t checkins() const { return count(platform.request_log(), "v1/checkin"); }

  std::string log(const std::string& module) const {
    return test::read_file(root / "var/opt/vigil/Log" / (module + ".log"));
  }

  /// The route of the agent's latest answered request, as its status says
  /// ("direct" or a proxy's URL).
  std::string last_route() const {
    auto status = load_agent_status(paths{root});
    return status ? status->last_route : std::string{};
  }

  /// Waits until two more check-ins reached the platform and the agent's
  /// requests go through `via`: at least one whole check-in ran with the new
  /// settings. (Not by counting `via`'s tunnels: a kept-alive connection
  /// carries several check-ins through one.)
  bool checks_in_through(const test::tinyproxy& via) {
    auto c = checkins();
    return test::wait_until(
      [&] { return checkins() >= c + 2 && last_route() == via.url() && relayed(via) > 0; }, 30s);
  }

  /// Waits until two more check-ins reached the platform.
  bool checks_in() {
    auto c = checkins();
    return test::wait_until([&] { return checkins() >= c + 2; }, 30s);
  }

  /// Every file under the root, and the agent's own output.
  std::vector<fs::path> files() const {
    std::vector<fs::path> out{root.string() + ".agent.out"};
    for (auto& e : fs::recursive_directory_iterator(root))
      if (e.is_regular_file())
        out.push_back(e.path());
    return out;
  }
};

} // namespace

TEST_CASE("agent + vigil-proxy: the guide's examples 1-6 take effect while the agent runs") {
  site s;
  test::tinyproxy a{s.dir / "a"}, b{s.dir / "b"}, authed{s.dir / "c", user, password};
  auto dead = test::free_port();
  test::pac_server pacs;
  pacs.set("/QualysAgent.pac",
           "function FindProxyForURL(url, host) { return \"PROXY 127.0.0.1:" + std::to_string(a.port())
             + "\"; }");
  pacs.set("/QualysAgent6.pac", "function FindProxyForURL(url, host) {\n"
                                "  if (isPlainHostName(host) || dnsDomainIs(host, \".invalid\"))\n"
                                "    return \"DIRECT\";\n"
                                "  return \"PROXY 127.0.0.1:"
                                  + std::to_string(authed.port()) + "\";\n}");
  // Direct connections off: a check-in that arrives came through a proxy.
  s.proxy({"/t", "off"});
  s.start();
  auto host = std::string{"http://127.0.0.1:"};

  SUBCASE("examples") {
    // 1: one proxy.
    s.proxy({"/u", a.url()});
    CHECK(s.checks_in_through(a));
    // 2: two proxies for failover; the first is down.
    s.proxy({"/u", host + std::to_string(dead) + ";" + b.url()});
    CHECK(s.checks_in_through(b));
    // 3: two ports of one host; the first always comes first (no history).
    s.proxy({"/u", b.url() + ";" + a.url()});
    CHECK(s.checks_in_through(b));
    auto a_before = relayed(a);
    CHECK(s.checks_in_through(b));
    CHECK(relayed(a) == a_before);
    // 4: a proxy with credentials.
    s.proxy({"/u", authed.url(), "/n", user, "/p", password});
    CHECK(s.checks_in_through(authed));
    // 5: a PAC file, spelled as in the guide.
    s.proxy({"/" + pacs.url("/QualysAgent.pac")});
    CHECK(s.checks_in_through(a));
    // 6: credentials for the PAC's proxies. This PAC comes over plain http,
    //    so whoever serves it could name their own proxy: the credentials
    //    are not sent to the proxies it names (issue 15, defect 3) until the
    //    administrator opts in with /e on.
    s.proxy({"/n", user, "/p", password, "/a", pacs.url("/QualysAgent6.pac")});
    CHECK(test::wait_until(
      [&] {
        return s.log("Proxy").find("no credentials to http://127.0.0.1:"
                                   + std::to_string(authed.port()))
               != std::string::npos;
      },
      30s));
    CHECK(test::wait_until(
      [&] { return s.log("Network").find("proxy_auth_required") != std::string::npos; }, 30s));
    s.proxy({"/e", "on"});
    CHECK(s.checks_in_through(authed));
    CHECK(s.log("Proxy").find("routes to https://127.0.0.1:") != std::string::npos);

    // The password is in no file and no log, in no encoding.
    s.agent->signal(SIGTERM);
    CHECK(s.agent->wait() == 0);
    s.agent.reset();
    std::vector<std::string> forms{password, base64(password), base64(user + ":" + password),
                                   hex(password, false), hex(password, true)};
    for (auto& file : s.files()) {
      auto text = test::read_file(file);
      for (auto& form : forms) {
        CAPTURE(file);
        CAPTURE(form);
        CHECK(text.find(form) == std::string::npos);
      }
    }
  }

  SUBCASE("/t off with every proxy down: a named error, and retries") {
    s.proxy({"/u", host + std::to_string(dead) + ";" + host + std::to_string(test::free_port())});
    CHECK(test::wait_until([&] { return count(s.log("Network"), "all_routes_failed") >= 2; }, 30s));
    CHECK(s.log("Network").find("direct connection is disabled") != std::string::npos);
    // Direct allowed again: the next check-in goes through.
    s.proxy({"/t", "on"});
    CHECK(s.checks_in());
  }
}

TEST_CASE("agent + vigil-proxy /p -: a password from standard input authenticates to the proxy") {
  site s;
  test::tinyproxy authed{s.dir / "c", user, password};
  s.proxy({"/t", "off"}); // a check-in that arrives came through the proxy
  s.start();
  auto r = test::run({test::program("vigil-proxy").string(), "--root", s.root.string(), "/u",
                      authed.url(), "/n", user, "/p", "-"},
                     {}, password + "\n");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(s.checks_in_through(authed));
  s.agent->signal(SIGTERM);
  CHECK(s.agent->wait() == 0);
  s.agent.reset();
  for (auto& file : s.files()) {
    CAPTURE(file);
    CHECK(test::read_file(file).find(password) == std::string::npos);
  }
}

TEST_CASE("agent + PAC: failover list, direct fallback, and scripts that never finish") {
  site s;
  test::tinyproxy live{s.dir / "live"};
  auto dead = test::free_port();
  test::pac_server pacs;
  pacs.set("/failover.pac", "function FindProxyForURL(url, host) {\n  return \"PROXY 127.0.0.1:"
                              + std::to_string(dead) + "; PROXY 127.0.0.1:"
                              + std::to_string(live.port()) + "; DIRECT\";\n}");
  pacs.set("/loop.pac", "function FindProxyForURL(url, host) { while (true) {} }");
  pacs.set("/hog.pac", "function FindProxyForURL(url, host) {\n  var kept = [], s = 'x';\n"
                       "  while (true) { s = s + s; kept.push(s); }\n}");
  s.proxy({"/a", pacs.url("/failover.pac")});
  s.start();
  // The PAC's second proxy carries the check-ins.
  CHECK(s.checks_in_through(live));
  // Both proxies down, /t on (the default): the PAC's DIRECT.
  live.kill();
  CHECK(s.checks_in());
  // /t off: a named error instead of a direct connection.
  auto failures = count(s.log("Network"), "all_routes_failed");
  s.proxy({"/t", "off"});
  CHECK(test::wait_until(
    [&] { return count(s.log("Network"), "all_routes_failed") >= failures + 2; }, 30s));

  // A PAC that loops, then one that allocates without bound: each costs one
  // failed evaluation, logged, and the next source (the system proxy, from
  // /etc/environment) carries the check-ins.
  test::tinyproxy system{s.dir / "system"};
  test::write_file(s.root / "etc/environment", "PATH=/usr/bin\nhttps_proxy=" + system.url() + "\n");
  s.proxy({"/a", pacs.url("/loop.pac")});
  s.proxy({"/h", "on"});
  CHECK(s.checks_in_through(system));
  CHECK(test::wait_until([&] {
    auto text = s.log("Proxy");
    return text.find("PAC " + pacs.url("/loop.pac") + ": evaluation failed") != std::string::npos;
  }, 10s));
  s.proxy({"/a", pacs.url("/hog.pac")});
  CHECK(s.checks_in_through(system));
  CHECK(test::wait_until([&] {
    auto text = s.log("Proxy");
    return text.find("PAC " + pacs.url("/hog.pac") + ": evaluation failed") != std::string::npos;
  }, 10s));
}

// WPAD end to end (issue 15, defect 3): in a network and mount namespace of
// its own (`unshare -n -m`: its own loopback, its own /etc/hosts bound over
// the host's), wpad.example.test resolves to a server the test runs on port
// 80. The test binary runs itself again inside; the inner case does the work.
TEST_CASE("agent + WPAD: the WPAD-named proxy is found and used, but gets no credentials "
          "unless /e on") {
  if (std::getenv("VIGIL_WPAD_NAMESPACE") == nullptr) {
    if (::geteuid() != 0) {
      MESSAGE("skipped: unshare -n -m needs root");
      return;
    }
    test::temp_dir outer;
    auto hosts = outer / "hosts";
    test::write_file(hosts, "127.0.0.1 localhost wpad.example.test\n::1 localhost\n");
    auto r = test::rerun_in_own_namespaces("VIGIL_WPAD_NAMESPACE", "agent + WPAD:*",
                                           "mount --bind " + hosts.string() + " /etc/hosts;");
    INFO(r.out);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Status: SUCCESS") != std::string::npos);
    return;
  }
  // Inside the namespace.
  site s;
  test::write_file(s.root / "etc/resolv.conf", "search example.test\n");
  test::tinyproxy authed{s.dir / "authed", user, password};
  test::pac_server wpad{80};
  wpad.set("/wpad.dat", "function FindProxyForURL(url, host) { return \"PROXY 127.0.0.1:"
                          + std::to_string(authed.port()) + "\"; }");
  s.proxy({"/w", "on", "/t", "off"});
  s.start();
  // The credentials an administrator set for its own proxy list...
  s.proxy({"/u", "http://127.0.0.1:" + std::to_string(test::free_port()), "/n", user, "/p",
           password});
  // ... are not sent to the proxy WPAD names: it answers 407.
  CHECK(test::wait_until([&] { return wpad.requests() > 0; }, 30s));
  auto noted = test::wait_until(
    [&] {
      return s.log("Proxy").find("WPAD http://wpad.example.test/wpad.dat: no credentials to "
                                 "http://127.0.0.1:"
                                 + std::to_string(authed.port()))
             != std::string::npos;
    },
    30s);
  CHECK_MESSAGE(noted, s.log("Proxy"));
  CHECK(test::wait_until(
    [&] { return s.log("Network").find("proxy_auth_required") != std::string::npos; }, 30s));
  CHECK(relayed(authed) == 0);
  // The administrator opts in: the same proxy now relays the check-ins.
  s.proxy({"/e", "on"});
  CHECK(s.checks_in_through(authed));
  CHECK(relayed(authed) > 0);
}
