// The real vigil-pac child, driven through pac_evaluator as the agent drives
// it, and directly from the command line.
#include "net/pac/evaluator.hpp"

#include <chrono>
#include <csignal>
#include <doctest/doctest.h>

#include "common/error.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "vigil_test_config.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

constexpr const char* corporate_pac = R"js(
function FindProxyForURL(url, host) {
  if (isPlainHostName(host) || dnsDomainIs(host, '.corp.example'))
    return 'DIRECT';
  if (isInNet(host, '10.0.0.0', '255.0.0.0'))
    return 'DIRECT';
  if (shExpMatch(url, 'https://*.platform.example/*'))
    return 'PROXY proxy1.corp.example:3128; PROXY proxy2.corp.example:3128; DIRECT';
  if (weekdayRange('SAT', 'SUN', 'GMT'))
    return 'PROXY weekend.corp.example:8080';
  return 'PROXY ' + myIpAddress() + ':8080';
}
)js";

pac_request base_request(const test::temp_dir& dir) {
  test::write_file(dir / "hosts", "10.20.30.40 build.internal.example\n");
  pac_request request;
  request.program = test::program("vigil-pac");
  request.overrides.hosts_file = dir / "hosts";
  request.overrides.my_addresses = {"192.0.2.10"};
  request.overrides.now = 1710510330; // Fri 2024-03-15 13:45:30 UTC
  return request;
}

std::vector<std::string> routes_of(const pac_result& result) {
  std::vector<std::string> out;
  for (auto& route : result.routes)
    out.push_back(route.kind == pac_route::direct ? "DIRECT" : route.proxy_url);
  return out;
}

/// Evaluates and reports how long it took.
caf::expected<pac_result> timed(const pac_request& request, std::chrono::milliseconds& took) {
  auto start = std::chrono::steady_clock::now();
  auto result = evaluate_pac(request);
  took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                               - start);
  return result;
}

} // namespace

TEST_CASE("pac evaluator: a corporate PAC gives failover lists") {
  test::temp_dir dir;
  auto request = base_request(dir);
  test::write_file(dir / "proxy.pac", corporate_pac);
  request.script_file = dir / "proxy.pac";
  struct row {
    const char* url;
    std::vector<std::string> routes;
  };
  std::vector<row> table{
    {"https://eu1.platform.example/CloudAgent/",
     {"http://proxy1.corp.example:3128", "http://proxy2.corp.example:3128", "DIRECT"}},
    {"http://wiki.corp.example/", {"DIRECT"}},
    {"http://intranet/", {"DIRECT"}},
    {"http://build.internal.example/", {"DIRECT"}}, // resolves into 10/8 via the hosts file
    {"http://www.example.com/", {"http://192.0.2.10:8080"}},
  };
  for (auto& r : table) {
    CAPTURE(r.url);
    request.url = r.url;
    auto result = evaluate_pac(request);
    REQUIRE_MESSAGE(result, render(result.error()));
    CHECK(routes_of(*result) == r.routes);
  }
  // The same PAC as text (sent on stdin), on a Sunday.
  request.script_file.clear();
  request.script_text = corporate_pac;
  request.overrides.now = 1704065400; // Sun 2023-12-31 23:30:00 UTC
  request.url = "http://www.example.com/";
  auto weekend = evaluate_pac(request);
  REQUIRE_MESSAGE(weekend, render(weekend.error()));
  CHECK(routes_of(*weekend) == std::vector<std::string>{"http://weekend.corp.example:8080"});
}

TEST_CASE("pac evaluator: a batch compiles once and keeps per-URL errors apart") {
  test::temp_dir dir;
  auto request = base_request(dir);
  request.script_text = "function FindProxyForURL(url, host) {\n"
                        "  if (host == 'bad.example') throw new Error('no rule for ' + host);\n"
                        "  if (host == 'odd.example') return 'GOPHER x:70';\n"
                        "  if (host == 'socks.example') return 'SOCKS5 s:1080; DIRECT';\n"
                        "  return 'PROXY p' + host.length + ':3128';\n}";
  auto results = evaluate_pac_batch(request, {{"http://a.example/", ""},
                                              {"http://bad.example/", ""},
                                              {"no host at all", ""},
                                              {"http://odd.example/", ""},
                                              {"http://socks.example/", ""},
                                              {"http://x/", "explicit.host"}});
  REQUIRE_MESSAGE(results, render(results.error()));
  REQUIRE(results->size() == 6);
  auto& r = *results;
  REQUIRE(r[0]);
  CHECK(routes_of(*r[0]) == std::vector<std::string>{"http://p9:3128"});
  REQUIRE_FALSE(r[1]);
  CHECK(code_of(r[1].error()) == ec::parse_error);
  CHECK(context_of(r[1].error()).find("no rule for bad.example") != std::string::npos);
  REQUIRE_FALSE(r[2]);
  CHECK(code_of(r[2].error()) == ec::invalid_argument);
  REQUIRE_FALSE(r[3]);
  CHECK(context_of(r[3].error()).find("GOPHER") != std::string::npos);
  REQUIRE(r[4]);
  CHECK(routes_of(*r[4]) == std::vector<std::string>{"DIRECT"});
  CHECK(r[4]->skipped.size() == 1);
  REQUIRE(r[5]);
  CHECK(routes_of(*r[5]) == std::vector<std::string>{"http://p13:3128"});
}

TEST_CASE("pac evaluator: an endless loop times out and the caller carries on") {
  test::temp_dir dir;
  auto request = base_request(dir);
  request.script_text = "function FindProxyForURL(url, host) { while (true) {} }";
  request.url = "http://a.example/";
  request.timeout = 1000ms;
  std::chrono::milliseconds took{};
  auto result = timed(request, took);
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == ec::timeout);
  CHECK(context_of(result.error()).find("1000 ms") != std::string::npos);
  CHECK(took >= 900ms);
  CHECK(took < 3000ms);
  // A loop while the script loads is caught the same way.
  request.script_text = "while (true) {}\nfunction FindProxyForURL(url, host) { return 'DIRECT'; }";
  result = timed(request, took);
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == ec::timeout);
  CHECK(took < 3000ms);
  // Nothing is left behind: the next evaluation works.
  request.script_text = "function FindProxyForURL(url, host) { return 'DIRECT'; }";
  auto next = evaluate_pac(request);
  REQUIRE_MESSAGE(next, render(next.error()));
  CHECK(routes_of(*next) == std::vector<std::string>{"DIRECT"});
}

TEST_CASE("pac evaluator: unbounded allocation fails within the timeout") {
  test::temp_dir dir;
  auto request = base_request(dir);
  request.url = "http://a.example/";
  request.timeout = 3000ms;
  for (auto script : {
         // Many small strings, kept alive.
         "function FindProxyForURL(url, host) {\n"
         "  var hoard = [];\n"
         "  for (var i = 0;; i++) hoard.push('entry ' + i + ' of ' + host);\n}",
         // One string, doubling.
         "function FindProxyForURL(url, host) { var s = host; for (;;) s = s + s; }",
         // Growth while loading, caught by the script itself and retried.
         "var hoard = [];\n"
         "for (;;) { try { hoard.push(new Array(65536).join('y')); } catch (e) {} }\n"
         "function FindProxyForURL(url, host) { return 'DIRECT'; }",
       }) {
    CAPTURE(script);
    request.script_text = script;
    std::chrono::milliseconds took{};
    auto result = timed(request, took);
    REQUIRE_FALSE(result);
    // The heap cap, or (for a script that swallows the failures and loops)
    // the deadline: either way an error, in time.
    CHECK((code_of(result.error()) == ec::too_large || code_of(result.error()) == ec::timeout));
    CHECK(took < 4000ms);
  }
  request.script_text = "function FindProxyForURL(url, host) { return 'DIRECT'; }";
  CHECK(evaluate_pac(request));
}

TEST_CASE("pac evaluator: broken scripts and setups are named errors") {
  test::temp_dir dir;
  auto request = base_request(dir);
  request.url = "http://a.example/";
  struct row {
    const char* script;
    ec code;
    const char* says;
  };
  std::vector<row> table{
    {"function FindProxyForURL(url, host) { return 'DIRECT' ", ec::parse_error, "SyntaxError"},
    {"function findProxyForUrl(url, host) { return 'DIRECT'; }", ec::parse_error,
     "FindProxyForURL"},
    {"undefinedFunction();", ec::parse_error, "ReferenceError"},
    {"function FindProxyForURL(url, host) { return null; }", ec::parse_error, "not a string"},
    {"function FindProxyForURL(url, host) { return 'PROXY a:1; BOGUS'; }", ec::parse_error,
     "BOGUS"},
  };
  for (auto& r : table) {
    CAPTURE(r.script);
    request.script_text = r.script;
    auto result = evaluate_pac(request);
    REQUIRE_FALSE(result);
    CHECK(code_of(result.error()) == r.code);
    CHECK(context_of(result.error()).find(r.says) != std::string::npos);
  }
  request.script_text = "function FindProxyForURL(url, host) { return 'DIRECT'; }";
  auto no_program = request;
  no_program.program = dir / "no-such-vigil-pac";
  auto result = evaluate_pac(no_program);
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == ec::not_found);
  auto no_file = request;
  no_file.script_file = dir / "missing.pac";
  result = evaluate_pac(no_file);
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == ec::not_found);
  CHECK(context_of(result.error()).find("missing.pac") != std::string::npos);
  auto no_script = request;
  no_script.script_text.clear();
  result = evaluate_pac(no_script);
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == ec::invalid_argument);
}

TEST_CASE("vigil-pac: the command line, and its own CPU limit") {
  test::temp_dir dir;
  test::write_file(dir / "p.pac", "function FindProxyForURL(url, host) {\n"
                                  "  return 'PROXY ' + host + ':1; DIRECT';\n}");
  auto pac = test::program("vigil-pac").string();
  auto run = test::run({pac, (dir / "p.pac").string(), "https://Some.Example/x"});
  CHECK(run.exit_code == 0);
  CHECK(run.out == "PROXY some.example:1; DIRECT\n");
  run = test::run({pac, "-", "http://a/", "given"}, {},
                  std::string{"function FindProxyForURL(u, h) { return 'PROXY ' + h + ':2'; }"});
  CHECK(run.exit_code == 0);
  CHECK(run.out == "PROXY given:2\n");
  run = test::run({pac, (dir / "p.pac").string()});
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("usage") != std::string::npos);
  // Without the agent's deadline, RLIMIT_CPU still ends a loop (SIGXCPU).
  test::write_file(dir / "loop.pac", "function FindProxyForURL(url, host) { for (;;) {} }");
  auto start = std::chrono::steady_clock::now();
  run = test::run({pac, "--cpu-seconds", "1", (dir / "loop.pac").string(), "http://a/"});
  CHECK(run.exit_code == 128 + SIGXCPU);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("pac evaluator: the agent finds vigil-pac beside its own executable") {
  auto program = default_pac_program();
  CHECK(program.filename() == "vigil-pac");
  // This test runs from the tests directory, so that is where it looks.
  CHECK(std::filesystem::equivalent(program.parent_path(), VIGIL_TEST_HELPER_DIR));
}
