// The system proxy sources and WPAD candidates (SPEC §10), as pure functions.

#include "host/system_proxy.hpp"

#include <doctest/doctest.h>

using namespace vigil;

TEST_CASE("system proxy: the service environment, lower case before upper case") {
  auto env = proxy_environment_of({"PATH=/bin", "HTTPS_PROXY=http://upper:1", "https_proxy=http://lower:2",
                                   "HTTP_PROXY=http://h:3", "no_proxy=", "NO_PROXY=.corp"});
  CHECK(env.https_proxy == "http://lower:2");
  CHECK(env.http_proxy == "http://h:3");
  CHECK(env.no_proxy == ".corp"); // the empty lower-case one counts as unset
  CHECK(proxy_environment_of({"PATH=/bin"}).empty());
}

TEST_CASE("system proxy: /etc/environment in pam_env's format") {
  auto env = parse_etc_environment("# proxies\n"
                                   "PATH=\"/usr/bin:/bin\"\n"
                                   "export http_proxy=http://p:3128\n"
                                   "  HTTPS_PROXY = \"http://q:8080\"  \n"
                                   "no_proxy='localhost,127.0.0.1'\n"
                                   "garbage line\n");
  CHECK(env.http_proxy == "http://p:3128");
  CHECK(env.https_proxy == "http://q:8080");
  CHECK(env.no_proxy == "localhost,127.0.0.1");
}

TEST_CASE("system proxy: the service environment wins over /etc/environment, per variable") {
  proxy_environment service{"http://svc:1", std::nullopt, std::nullopt};
  proxy_environment etc{"http://etc:1", "http://etc:2", "x.org"};
  auto merged = merge_environments(service, etc);
  CHECK(merged.https_proxy == "http://svc:1");
  CHECK(merged.http_proxy == "http://etc:2");
  CHECK(merged.no_proxy == "x.org");
}

TEST_CASE("system proxy: which variable serves which scheme") {
  proxy_environment env{"http://secure:1", "plain:2", std::nullopt};
  CHECK(system_proxy_for(env, "https", "h.example.com", 443) == "http://secure:1");
  CHECK(system_proxy_for(env, "http", "h.example.com", 80) == "http://plain:2");
  env.https_proxy.reset();
  CHECK(system_proxy_for(env, "https", "h.example.com", 443) == "http://plain:2");
  env.no_proxy = "example.com";
  CHECK_FALSE(system_proxy_for(env, "https", "h.example.com", 443));
  CHECK_FALSE(system_proxy_for(proxy_environment{}, "https", "h", 443));
}

TEST_CASE("no_proxy: names, suffixes, wildcards, addresses, networks, ports") {
  CHECK(no_proxy_matches("*", "anything", 1));
  CHECK(no_proxy_matches("example.com", "example.com", 443));
  CHECK(no_proxy_matches("example.com", "a.b.EXAMPLE.com", 443));
  CHECK(no_proxy_matches(".example.com", "example.com", 443));
  CHECK(no_proxy_matches(".example.com", "www.example.com", 443));
  CHECK(no_proxy_matches("*.example.com", "www.example.com", 443));
  CHECK_FALSE(no_proxy_matches("example.com", "badexample.com", 443));
  CHECK_FALSE(no_proxy_matches("www.example.com", "example.com", 443));
  CHECK(no_proxy_matches("localhost, 127.0.0.1", "127.0.0.1", 8443));
  CHECK_FALSE(no_proxy_matches("127.0.0.1", "127.0.0.2", 8443));
  CHECK(no_proxy_matches("10.0.0.0/8", "10.20.30.40", 443));
  CHECK_FALSE(no_proxy_matches("10.0.0.0/8", "11.0.0.1", 443));
  CHECK_FALSE(no_proxy_matches("10.0.0.0/8", "ten.example", 443));
  CHECK(no_proxy_matches("::1", "::1", 443));
  CHECK(no_proxy_matches("[::1]", "::1", 443));
  CHECK(no_proxy_matches("fd00::/8", "fd12::3", 443));
  CHECK_FALSE(no_proxy_matches("fd00::/8", "127.0.0.1", 443));
  CHECK(no_proxy_matches("example.com:8443", "example.com", 8443));
  CHECK_FALSE(no_proxy_matches("example.com:8443", "example.com", 443));
  CHECK(no_proxy_matches("[::1]:8443", "::1", 8443));
  CHECK_FALSE(no_proxy_matches("[::1]:8443", "::1", 443));
  CHECK(no_proxy_matches("a.org b.org", "x.b.org", 1));
  CHECK_FALSE(no_proxy_matches("", "example.com", 1));
  CHECK_FALSE(no_proxy_matches(".", "example.com", 1));
}

TEST_CASE("WPAD: resolv.conf search and domain lines") {
  auto domains = resolv_conf_domains("# generated\nnameserver 127.0.0.53\n"
                                     "search Corp.Example.com lab.example.com.\n"
                                     "domain corp.example.com\noptions edns0\nsearchx no.org\n");
  CHECK(domains == std::vector<std::string>{"corp.example.com", "lab.example.com"});
}

TEST_CASE("WPAD: candidates devolve each domain and stop before the top-level domain") {
  auto urls = wpad_candidates("host.a.corp.example.com", {"lab.example.com", "corp.example.com"});
  CHECK(urls == std::vector<std::string>{
                  "http://wpad.a.corp.example.com/wpad.dat",
                  "http://wpad.corp.example.com/wpad.dat",
                  "http://wpad.example.com/wpad.dat",
                  "http://wpad.lab.example.com/wpad.dat",
                });
  CHECK(wpad_candidates("host", {}).empty());
  CHECK(wpad_candidates("host.com", {}).empty()); // never wpad.com
  CHECK(wpad_candidates("HOST.Example.Org.", {}) ==
        std::vector<std::string>{"http://wpad.example.org/wpad.dat"});
}
