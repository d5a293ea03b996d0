// The proxy resolver's work without the actor: sources read on every request,
// PAC answers cached, failures falling through (SPEC §10).

#include "actors/proxy_resolution.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "host/hive_file.hpp"
#include "host/secret_box.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

const std::string platform = "https://platform.example.com:8443/CloudAgent/";

struct fixture {
  test::temp_dir dir;
  paths p{dir.path()};
  hive_file hive{p.hive_file()};
  int fetches = 0;
  int evaluations = 0;
  caf::expected<std::string> pac_body = std::string{"function FindProxyForURL(u,h){...}"};
  caf::expected<std::vector<candidate_route>> pac_answer =
    std::vector<candidate_route>{{false, "http://pac-proxy:3128"}, {true, {}}};
  std::string evaluated_url, evaluated_host;
  proxy_resolution resolution{options()};

  fixture() { test::write_file(p.machine_id_file(), "0123456789abcdef0123456789abcdef\n"); }

  proxy_resolution_options options() {
    proxy_resolution_options o;
    o.root = p;
    o.service_environment = {"https_proxy=http://env-proxy:8080", "no_proxy=internal.example.com"};
    o.fqdn = "agent.corp.example.com";
    o.fetch = [this](const std::string&) {
      ++fetches;
      return pac_body;
    };
    o.evaluate = [this](const std::string&, const std::string&, const std::string& url,
                        const std::string& host) {
      ++evaluations;
      evaluated_url = url;
      evaluated_host = host;
      return pac_answer;
    };
    return o;
  }

  void set(const std::function<void(proxy_config&)>& fn) {
    auto ok = update_proxy_config(hive, [&](proxy_config& c) -> caf::expected<void> {
      fn(c);
      return {};
    });
    REQUIRE(ok);
  }

  std::vector<std::string> proxies(const std::string& target = platform) {
    std::vector<std::string> out;
    for (auto& u : resolution.resolve(target).settings.proxies)
      out.push_back(u.scheme + "://" + u.authority());
    return out;
  }
};

} // namespace

TEST_CASE("resolution: nothing configured is direct") {
  fixture f;
  auto m = f.resolution.resolve(platform);
  CHECK(m.settings.proxies.empty());
  CHECK(m.settings.direct_fallback);
}

TEST_CASE("resolution: the hive is read on every request") {
  fixture f;
  f.set([](proxy_config& c) { c.proxy_urls = {"http://a:1"}; });
  CHECK(f.proxies() == std::vector<std::string>{"http://a:1"});
  f.set([](proxy_config& c) { c.proxy_urls = {"http://b:2", "c:3"}; });
  CHECK(f.proxies() == std::vector<std::string>{"http://b:2", "http://c:3"});
  f.set([](proxy_config& c) { c.direct_fallback = false; });
  CHECK_FALSE(f.resolution.resolve(platform).settings.direct_fallback);
}

TEST_CASE("resolution: the sealed password is opened for every proxy") {
  fixture f;
  auto box = secret_box::open(f.p);
  REQUIRE(box);
  auto sealed = box->seal("hunter2", proxy_password_purpose);
  REQUIRE(sealed);
  f.set([&](proxy_config& c) {
    c.proxy_urls = {"http://a:1"};
    c.username = "bob";
    c.sealed_password = *sealed;
  });
  auto m = f.resolution.resolve(platform);
  CHECK(m.settings.credentials.username == "bob");
  CHECK(m.settings.credentials.password == "hunter2");
}

TEST_CASE("resolution: a PAC answer is cached until the settings change") {
  fixture f;
  f.set([](proxy_config& c) { c.pac_url = "http://pac.example.com/agent.pac"; });
  CHECK(f.proxies() == std::vector<std::string>{"http://pac-proxy:3128"});
  CHECK(f.evaluated_url == "https://platform.example.com:8443/"); // no path for https
  CHECK(f.evaluated_host == "platform.example.com");
  CHECK(f.proxies() == std::vector<std::string>{"http://pac-proxy:3128"});
  CHECK(f.fetches == 1);
  CHECK(f.evaluations == 1);
  f.resolution.invalidate();
  f.proxies();
  CHECK(f.fetches == 2);
}

TEST_CASE("resolution: a failed PAC falls to the next source, or to no route with /t off") {
  fixture f;
  f.pac_body = make_error(ec::connection_refused, "pac.example.com:80");
  f.set([](proxy_config& c) {
    c.pac_url = "http://pac.example.com/agent.pac";
    c.system_proxy = true;
  });
  auto m = f.resolution.resolve(platform);
  CHECK(f.proxies() == std::vector<std::string>{"http://env-proxy:8080"});
  REQUIRE_FALSE(m.notes.empty());
  CHECK(m.notes[0].find("download failed") != std::string::npos);
  CHECK(f.fetches == 1); // the failure is remembered for a while
  f.set([](proxy_config& c) {
    c.system_proxy = false;
    c.direct_fallback = false;
  });
  CHECK(f.resolution.resolve(platform).no_route);
  // An evaluation failure falls through the same way.
  f.resolution.invalidate();
  f.pac_body = std::string{"while(true){}"};
  f.pac_answer = make_error(ec::timeout, "the PAC script ran out of CPU time");
  f.set([](proxy_config& c) { c.direct_fallback = true; });
  auto direct = f.resolution.resolve(platform);
  CHECK(direct.settings.proxies.empty());
  CHECK(direct.settings.direct_fallback);
  CHECK(direct.notes.at(0).find("evaluation failed") != std::string::npos);
}

TEST_CASE("resolution: system proxy from the service environment, /etc/environment, no_proxy") {
  fixture f;
  f.set([](proxy_config& c) { c.system_proxy = true; });
  test::write_file(f.p.etc_environment(),
                   "https_proxy=http://etc-proxy:1\nhttp_proxy=\"http://etc-http:2\"\n");
  CHECK(f.proxies() == std::vector<std::string>{"http://env-proxy:8080"}); // the service wins
  CHECK(f.proxies("http://plain.example.com/") == std::vector<std::string>{"http://etc-http:2"});
  CHECK(f.proxies("https://internal.example.com/").empty()); // no_proxy: direct
  auto m = f.resolution.resolve("https://internal.example.com/");
  CHECK(m.settings.direct_fallback);
}

TEST_CASE("resolution: WPAD tries the devolved domains in order") {
  fixture f;
  std::vector<std::string> asked;
  auto options = f.options();
  options.fetch = [&](const std::string& url) -> caf::expected<std::string> {
    asked.push_back(url);
    if (url == "http://wpad.example.com/wpad.dat")
      return std::string{"function FindProxyForURL(u,h){return 'PROXY w:1';}"};
    return make_error(ec::network_error, "no such host");
  };
  proxy_resolution r{options};
  f.set([](proxy_config& c) { c.wpad = true; });
  auto m = r.resolve(platform);
  CHECK(asked == std::vector<std::string>{"http://wpad.corp.example.com/wpad.dat",
                                          "http://wpad.example.com/wpad.dat"});
  REQUIRE(m.settings.proxies.size() == 1); // the stub evaluator's answer
  CHECK(m.settings.proxies[0].host == "pac-proxy");
}
