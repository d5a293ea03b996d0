// Downloading a PAC: files, and a real HTTP server on 127.0.0.1.
#include "net/pac/fetch.hpp"

#include <chrono>
#include <csignal>
#include <doctest/doctest.h>

#include "common/error.hpp"
#include "net/pac/evaluator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

constexpr const char* small_pac = "function FindProxyForURL(url, host) { return 'PROXY p:1; DIRECT'; }";

} // namespace

TEST_CASE("pac fetch: files by path and file:// URL, with a size cap") {
  test::temp_dir dir;
  test::write_file(dir / "proxy.pac", small_pac);
  auto by_path = fetch_pac((dir / "proxy.pac").string());
  REQUIRE(by_path);
  CHECK(*by_path == small_pac);
  auto by_url = fetch_pac("file://" + (dir / "proxy.pac").string());
  REQUIRE(by_url);
  CHECK(*by_url == small_pac);
  auto by_local_host = fetch_pac("file://localhost" + (dir / "proxy.pac").string());
  REQUIRE(by_local_host);
  CHECK(*by_local_host == small_pac);
  test::write_file(dir / "big.pac", std::string((1u << 20) + 1, ' '));
  auto big = fetch_pac((dir / "big.pac").string());
  REQUIRE_FALSE(big);
  CHECK(code_of(big.error()) == ec::too_large);
  auto missing = fetch_pac((dir / "missing.pac").string());
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
  auto ftp = fetch_pac("ftp://files.example/proxy.pac");
  REQUIRE_FALSE(ftp);
  CHECK(code_of(ftp.error()) == ec::invalid_argument);
}

TEST_CASE("pac fetch: over http from a real server, then evaluated") {
  test::temp_dir dir;
  test::write_file(dir / "www" / "proxy.pac", small_pac);
  test::write_file(dir / "www" / "big.pac", std::string(4096, ' '));
  auto port = test::free_port();
  test::child_process server{{"/usr/bin/python3", "-m", "http.server", std::to_string(port),
                              "--bind", "127.0.0.1", "--directory", (dir / "www").string()},
                             dir / "server.log"};
  REQUIRE(test::wait_until([&] { return test::port_accepts(port); }, 10s));
  auto base = "http://127.0.0.1:" + std::to_string(port);
  auto text = fetch_pac(base + "/proxy.pac");
  REQUIRE_MESSAGE(text, render(text.error()));
  CHECK(*text == small_pac);
  pac_request request;
  request.program = test::program("vigil-pac");
  request.script_text = *text;
  request.url = "https://platform.example/";
  auto routes = evaluate_pac(request);
  REQUIRE_MESSAGE(routes, render(routes.error()));
  CHECK(routes->routes.size() == 2);
  auto missing = fetch_pac(base + "/nothing.pac");
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::protocol_error);
  CHECK(context_of(missing.error()).find("404") != std::string::npos);
  pac_fetch_options small;
  small.max_bytes = 1024;
  auto big = fetch_pac(base + "/big.pac", small);
  REQUIRE_FALSE(big);
  CHECK(code_of(big.error()) == ec::too_large);
  server.signal(SIGKILL);
  server.wait();
  auto refused = fetch_pac(base + "/proxy.pac");
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == ec::connection_refused);
}
