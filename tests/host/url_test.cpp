#include "host/url.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "host/proxy_grammar.hpp"

using namespace vigil;

// The installer and vigil-proxy check a proxy URL with the proxy grammar
// (`/u URL`); the agent connects to what `parse_url` makes of the same hive
// value (actors/proxy_routes). They used to be two parsers with different
// rules; now the grammar's checks sit on the one parser, so an administrator
// never gets a URL past the installer that the agent reads differently.
TEST_CASE("url: the installer's proxy check and the agent's parser agree") {
  struct row {
    const char* text;
    const char* before; ///< how they disagreed, for the reader
  };
  const row rows[] = {
    // The agent read host "fe80::1", port 8080; the installer refused it.
    {"http://fe80::1:8080", "unbracketed IPv6 literal"},
    // The agent took port 80; the installer refused the empty port.
    {"http://proxy.example:", "empty port"},
    // The agent connected to the host "[zz]" named; the installer refused it.
    {"http://[zz]:3128", "bracketed host that is not an IPv6 literal"},
    // The agent sent "pro<xy>" to DNS; the installer refused it.
    {"http://pro<xy>:3128", "invalid host name"},
    // The agent kept a line break in the host (a header injection).
    {"http://proxy\r\nX:3128", "control characters"},
    // Both took "proxy.example:3128/?u=http" for a scheme; a scheme is now
    // only a `://` before any `/`, `?` or `#`. A proxy URL has no path: the
    // grammar's own rule refuses it, and the agent reads the same host.
    {"proxy.example:3128/?u=http://x", "a `://` in the query"},
    // Both accepted these, and still read them the same way.
    {"HTTP://Proxy.Example:3128", "agreed"},
    {"http://[::1]:3128", "agreed"},
    {"10.0.0.1:8080", "agreed"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    CAPTURE(r.before);
    auto installer = parse_proxy_option(std::vector<std::string>{"/u", r.text});
    auto agent = parse_url(r.text);
    auto parts = parse_url_parts(r.text);
    if (installer) {
      REQUIRE(agent);
      REQUIRE(parts);
      CHECK(agent->host == parts->host);
      CHECK(agent->port == parts->port.value_or(agent->scheme == "https" ? 443 : 80));
    } else if (parts && (!parts->path.empty() || (parts->scheme.empty() && !parts->port))) {
      // Refused by the grammar's own proxy rules (a path, no port), not by
      // the parser: the agent may read it, the same way.
      REQUIRE(agent);
      CHECK(agent->host == parts->host);
    } else {
      CHECK_FALSE(agent);
      CHECK_FALSE(parts);
    }
  }
  // What each side refuses, it refuses for the same reason.
  auto agent = parse_url("http://fe80::1:8080");
  REQUIRE_FALSE(agent);
  CHECK(context_of(agent.error())
        == "invalid URL 'http://fe80::1:8080': an IPv6 address must be written in brackets: "
           "[::1]:8080");
  auto installer = parse_proxy_option(std::vector<std::string>{"/u", "http://fe80::1:8080"});
  REQUIRE_FALSE(installer);
  CHECK(context_of(installer.error())
        == "/u: 'http://fe80::1:8080' is not a proxy URL: an IPv6 address must be written in "
           "brackets: [::1]:8080");
}

TEST_CASE("url: the web service URI the installer accepts is the one the agent connects to") {
  // setup checks WebServiceUri with parse_url_parts; the agent connects with
  // parse_url. A fragment used to end up in the agent's host name.
  auto parts = parse_url_parts("https://platform.example:8443/CloudAgent/#top");
  REQUIRE(parts);
  auto agent = parse_url("https://platform.example:8443/CloudAgent/#top");
  REQUIRE(agent);
  CHECK(agent->host == "platform.example");
  CHECK(agent->host == parts->host);
  CHECK(agent->port == 8443);
  CHECK(agent->target == "/CloudAgent/"); // a fragment is never sent
  // Surrounding blanks are ignored by both.
  CHECK(parse_url_parts(" http://p:1\t"));
  CHECK(parse_url(" http://p:1\t")->host == "p");
}

TEST_CASE("url: an error never quotes the credentials") {
  auto u = parse_url("http://bob:Hunter2@proxy:99999");
  REQUIRE_FALSE(u);
  CHECK(context_of(u.error()).find("Hunter2") == std::string::npos);
  CHECK(context_of(u.error())
        == "invalid URL 'http://***@proxy:99999': the port must be a number from 1 to 65535");
}
