// How the proxy sources merge into one request's routes (SPEC §10).

#include "actors/proxy_routes.hpp"

#include <doctest/doctest.h>

using namespace vigil;

namespace {

std::vector<std::string> names(const proxy_settings& s) {
  std::vector<std::string> out;
  for (auto& u : s.proxies)
    out.push_back(u.scheme + "://" + u.authority());
  return out;
}

candidate_route proxy(std::string url) {
  return {false, std::move(url)};
}

const candidate_route direct{true, {}};

} // namespace

TEST_CASE("routes: the sources in order, each proxy once, never a URL's own credentials") {
  std::vector<source_result> sources{
    {"ProxyUrls", routes_of_list({"http://a:1", "b:2"}), {}, true},
    {"PAC", {proxy("http://c:3"), direct, proxy("http://a:1")}, {}},
    {"system proxy", {proxy("http://user:pw@d:4")}, {}},
  };
  auto m = merge_routes(sources, true, true, {"bob", "pw"});
  CHECK(names(m.settings) == std::vector<std::string>{"http://a:1", "http://b:2", "http://c:3",
                                                      "http://d:4"});
  CHECK(m.settings.direct_fallback);
  CHECK(m.settings.credentials.username == "bob");
  CHECK(m.settings.proxies.back().password.empty()); // never a URL's own password
  CHECK_FALSE(m.no_route);
}

TEST_CASE("routes: /t off keeps direct out after proxies, even when a PAC lists DIRECT last") {
  std::vector<source_result> sources{{"PAC", {proxy("http://a:1"), direct}, {}}};
  auto m = merge_routes(sources, false, true, {});
  CHECK(names(m.settings) == std::vector<std::string>{"http://a:1"});
  CHECK_FALSE(m.settings.direct_fallback);
  CHECK_FALSE(m.no_route);
}

TEST_CASE("routes: nothing configured is direct, whatever /t says") {
  auto m = merge_routes({}, false, false, {});
  CHECK(m.settings.proxies.empty());
  CHECK(m.settings.direct_fallback);
  CHECK_FALSE(m.no_route);
}

TEST_CASE("routes: every configured source failed with /t off is no route, with the reason") {
  std::vector<source_result> sources{{"PAC http://pac/x", {}, "download failed: refused"}};
  auto m = merge_routes(sources, false, true, {});
  CHECK(m.no_route);
  REQUIRE(m.notes.size() == 1);
  CHECK(m.notes[0] == "PAC http://pac/x: download failed: refused");
  // With /t on the same failure falls through to direct.
  auto on = merge_routes(sources, true, true, {});
  CHECK_FALSE(on.no_route);
  CHECK(on.settings.direct_fallback);
}

TEST_CASE("routes: a source that chooses DIRECT alone is honoured with /t off") {
  std::vector<source_result> sources{{"PAC", {direct}, {}}};
  auto m = merge_routes(sources, false, true, {});
  CHECK_FALSE(m.no_route);
  CHECK(m.settings.proxies.empty());
  CHECK(m.settings.direct_fallback);
}

TEST_CASE("routes: unusable proxies are skipped with a note that shows no password") {
  std::vector<source_result> sources{{"system proxy", {proxy("ftp://u:secret@x:1")}, {}}};
  auto m = merge_routes(sources, true, true, {});
  CHECK(m.settings.proxies.empty());
  REQUIRE(m.notes.size() == 1);
  CHECK(m.notes[0].find("secret") == std::string::npos);
}

TEST_CASE("routes: described for the log without the password") {
  proxy_settings s;
  s.proxies = {*parse_url("http://a:1")};
  s.credentials = {"bob", "hunter2"};
  s.direct_fallback = false;
  auto text = describe(s);
  CHECK(text.find("http://a:1") != std::string::npos);
  CHECK(text.find("user bob, password set") != std::string::npos);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("/t off") != std::string::npos);
}

TEST_CASE("routes: credentials go only to the proxies the administrator named, unless /e on") {
  std::vector<source_result> sources{
    {"ProxyUrls", routes_of_list({"http://a:1"}), {}, true},
    {"PAC https://pac/x", {proxy("http://b:2")}, {}, true},
    {"WPAD", {proxy("http://evil:3"), proxy("http://A:1")}, {}},
    {"PAC http://pac/y", {proxy("http://c:4")}, {}},
  };
  auto m = merge_routes(sources, true, true, {"bob", "pw"});
  REQUIRE(m.settings.proxies.size() == 4);
  auto creds = [&](size_t i) { return credentials_for(m.settings, m.settings.proxies[i]); };
  CHECK(creds(0).username == "bob"); // a:1, from /u (WPAD naming it too changes nothing)
  CHECK(creds(0).password == "pw");
  CHECK(creds(1).username == "bob"); // b:2, from a PAC fetched over https
  CHECK(creds(2).empty());           // evil:3, named by WPAD
  CHECK(creds(3).empty());           // c:4, from a PAC fetched over plain http
  int noted = 0;
  for (auto& note : m.notes)
    noted += note.find("no credentials to") != std::string::npos ? 1 : 0;
  CHECK(noted == 2);
  CHECK(describe(m.settings).find("none to http://evil:3") != std::string::npos);
  // The administrator's opt-in: every proxy gets them.
  auto any = merge_routes(sources, true, true, {"bob", "pw"}, true);
  for (auto& p : any.settings.proxies)
    CHECK(credentials_for(any.settings, p).username == "bob");
  // No credentials set: nothing to withhold, nothing noted.
  auto none = merge_routes(sources, true, true, {});
  CHECK(none.notes.empty());
}
