#include "host/url.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "net/proxy_chain.hpp"

using namespace vigil;

TEST_CASE("url: platform and proxy URLs parse") {
  auto u = parse_url("https://127.0.0.1:8443/CloudAgent/");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 8443);
  CHECK(u->target == "/CloudAgent/");
  CHECK(join_target(*u, "v1/profile") == "/CloudAgent/v1/profile");
  auto proxy = parse_url("127.0.0.1:3128");
  REQUIRE(proxy);
  CHECK(proxy->scheme == "http");
  CHECK(proxy->port == 3128);
  auto v6 = parse_url("https://[::1]/x?y=1");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 443);
  CHECK(v6->authority() == "[::1]:443");
  CHECK(v6->host_is_ip());
  auto creds = parse_url("http://user:p%40ss@proxy.example:8080");
  REQUIRE(creds);
  CHECK(creds->password == "p@ss");
  CHECK(creds->to_string() == "http://proxy.example:8080");
}

TEST_CASE("url: malformed URLs are named errors") {
  for (auto bad : {"ftp://x", "https://:80", "http://host:99999", "http://[::1", "http://h:x"}) {
    CAPTURE(bad);
    auto u = parse_url(bad);
    REQUIRE_FALSE(u);
    CHECK(code_of(u.error()) == ec::invalid_argument);
  }
}

TEST_CASE("proxy chain: proxies in order, then direct; nothing remembered") {
  proxy_settings settings;
  settings.proxies = {*parse_url("http://127.0.0.1:1"), *parse_url("http://127.0.0.1:2")};
  std::vector<std::string> tried;
  auto sender = [&](const std::optional<url>& proxy) -> caf::expected<http_response> {
    tried.push_back(proxy ? proxy->to_string() : "direct");
    if (proxy && proxy->port == 2)
      return http_response{};
    return make_error(ec::connection_refused, "refused");
  };
  auto first = send_over_routes(settings, sender);
  REQUIRE(first);
  CHECK(first->route == "http://127.0.0.1:2");
  REQUIRE(first->failed.size() == 1);
  CHECK(code_of(first->failed[0].error) == ec::connection_refused);
  // The second request starts again with the first proxy.
  tried.clear();
  REQUIRE(send_over_routes(settings, sender));
  CHECK(tried == std::vector<std::string>{"http://127.0.0.1:1", "http://127.0.0.1:2"});
}

TEST_CASE("proxy chain: direct fallback on and off") {
  proxy_settings settings;
  settings.proxies = {*parse_url("http://127.0.0.1:1")};
  auto refuse_proxies = [](const std::optional<url>& proxy) -> caf::expected<http_response> {
    if (proxy)
      return make_error(ec::proxy_auth_required, "407");
    return http_response{};
  };
  auto direct = send_over_routes(settings, refuse_proxies);
  REQUIRE(direct);
  CHECK(direct->route == "direct");
  settings.direct_fallback = false;
  auto single = send_over_routes(settings, refuse_proxies);
  REQUIRE_FALSE(single);
  CHECK(code_of(single.error()) == ec::proxy_auth_required);
  settings.proxies.push_back(*parse_url("http://127.0.0.1:2"));
  std::vector<route_attempt> attempts;
  auto none = send_over_routes(settings, refuse_proxies, &attempts);
  REQUIRE_FALSE(none);
  CHECK(code_of(none.error()) == ec::all_routes_failed);
  CHECK(render(none.error()).find("/t off") != std::string::npos);
  CHECK(attempts.size() == 2);
}
