#include "net/pac/result.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"

using namespace vigil;

namespace {

std::vector<std::string> routes_of(const pac_result& result) {
  std::vector<std::string> out;
  for (auto& route : result.routes)
    out.push_back(route.kind == pac_route::direct ? "DIRECT" : route.proxy_url);
  return out;
}

} // namespace

TEST_CASE("pac result: failover lists in order") {
  struct row {
    const char* answer;
    std::vector<std::string> routes;
    size_t skipped;
  };
  std::vector<row> table{
    {"PROXY a:1; PROXY b:2; DIRECT", {"http://a:1", "http://b:2", "DIRECT"}, 0},
    {"DIRECT", {"DIRECT"}, 0},
    {"", {"DIRECT"}, 0},
    {"   ", {"DIRECT"}, 0},
    {"proxy A.example:8080", {"http://A.example:8080"}, 0},
    {"  PROXY\tp.example:3128 ;;  direct ; ", {"http://p.example:3128", "DIRECT"}, 0},
    {"HTTP h:81", {"http://h:81"}, 0},
    {"PROXY noport", {"http://noport:80"}, 0},
    {"PROXY [::1]:3128; DIRECT", {"http://[::1]:3128", "DIRECT"}, 0},
    {"PROXY 10.0.0.1:8080", {"http://10.0.0.1:8080"}, 0},
    {"SOCKS s:1080; PROXY p:1", {"http://p:1"}, 1},
    {"SOCKS5 s:1080; socks4 t; HTTPS secure:443; DIRECT", {"DIRECT"}, 3},
  };
  for (auto& r : table) {
    CAPTURE(r.answer);
    auto parsed = parse_pac_result(r.answer);
    REQUIRE(parsed);
    CHECK(routes_of(*parsed) == r.routes);
    CHECK(parsed->skipped.size() == r.skipped);
    CHECK(parsed->text == r.answer);
  }
}

TEST_CASE("pac result: skipped entries say why") {
  auto parsed = parse_pac_result("SOCKS5 s:1080; HTTPS h:443; PROXY p:1");
  REQUIRE(parsed);
  REQUIRE(parsed->skipped.size() == 2);
  CHECK(parsed->skipped[0].entry == "SOCKS5 s:1080");
  CHECK(parsed->skipped[0].reason.find("SOCKS") != std::string::npos);
  CHECK(parsed->skipped[1].entry == "HTTPS h:443");
  CHECK(parsed->skipped[1].reason.find("HTTPS") != std::string::npos);
}

TEST_CASE("pac result: malformed entries are named") {
  struct row {
    const char* answer;
    const char* named; // must appear in the error
  };
  std::vector<row> table{
    {"PROXY", "'PROXY'"},
    {"PROXY a:1; FOO b:2", "'FOO b:2'"},
    {"PROXY a:99999", "invalid port"},
    {"PROXY a:0", "invalid port"},
    {"PROXY a:x", "invalid port"},
    {"PROXY a:", "empty port"},
    {"DIRECT now", "'DIRECT now'"},
    {"PROXY a:1 b:2", "more than one"},
    {"PROXY ::1:80", "IPv6 address without brackets"},
    {"PROXY [::1:80", "unterminated"},
    {"PROXY [zz]:80", "invalid IPv6"},
    {"PROXY bad/host:80", "invalid host name"},
    {"SOCKS s:1080", "no usable route"},
    {"HTTPS h:443", "no usable route"},
  };
  for (auto& r : table) {
    CAPTURE(r.answer);
    auto parsed = parse_pac_result(r.answer);
    REQUIRE_FALSE(parsed);
    CHECK(code_of(parsed.error()) == ec::parse_error);
    CHECK(context_of(parsed.error()).find(r.named) != std::string::npos);
  }
}

TEST_CASE("pac result: the host argument comes from the URL") {
  struct row {
    const char* url;
    const char* host;
  };
  std::vector<row> table{
    {"https://Platform.Example.com/CloudAgent/", "platform.example.com"},
    {"http://user:pw@h.example:8080/x?y#z", "h.example"},
    {"https://[2001:db8::1]:8443/", "2001:db8::1"},
    {"https://10.1.2.3", "10.1.2.3"},
    {"ftp://files.example/pub", "files.example"},
    {"https://h.example?q=1", "h.example"},
  };
  for (auto& r : table) {
    CAPTURE(r.url);
    auto host = pac_host_of(r.url);
    REQUIRE(host);
    CHECK(*host == r.host);
  }
  for (auto bad : {"no-scheme.example", "https:///path", "https://[::1/"}) {
    CAPTURE(bad);
    auto host = pac_host_of(bad);
    REQUIRE_FALSE(host);
    CHECK(code_of(host.error()) == ec::invalid_argument);
  }
}
