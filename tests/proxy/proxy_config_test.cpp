// The agent's proxy settings in the hive (SPEC §2, §10).

#include "host/hive_file.hpp"
#include "host/proxy_config.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

TEST_CASE("proxy config: defaults when nothing is stored") {
  hive h;
  auto c = read_proxy_config(h);
  CHECK(c == proxy_config{});
  CHECK(c.direct_fallback);
  CHECK_FALSE(c.system_proxy);
  CHECK_FALSE(c.wpad);
  CHECK_FALSE(c.any_source());
}

TEST_CASE("proxy config: reads what setup's Proxy= writes (strings only)") {
  hive h;
  h.set(proxy_key(), reg_value::sz("ProxyUrls", "http://a:1; ;b:2;"));
  h.set(proxy_key(), reg_value::sz("Username", "bob"));
  h.set(proxy_key(), reg_value::sz("Password", "v1:sealed"));
  auto c = read_proxy_config(h);
  CHECK(c.proxy_urls == std::vector<std::string>{"http://a:1", "b:2"});
  CHECK(c.username == "bob");
  CHECK(c.sealed_password == "v1:sealed");
  CHECK(c.direct_fallback);
}

TEST_CASE("proxy config: write then read round-trips; names and types as documented") {
  hive h;
  proxy_config c;
  c.pac_url = "http://pac/x.pac";
  c.username = "u";
  c.direct_fallback = false;
  c.wpad = true;
  c.credentials_to_any = true;
  write_proxy_config(h, c);
  CHECK(read_proxy_config(h) == c);
  auto* key = h.find_key(proxy_key());
  REQUIRE(key);
  CHECK(key->find("PacFilePath")->as_string() == "http://pac/x.pac");
  CHECK(key->find("DirectAttemptEnabled")->type == reg_type::dword);
  CHECK(key->find("DirectAttemptEnabled")->as_number() == 0u);
  CHECK(key->find("WPADEnabled")->as_number() == 1u);
  CHECK(key->find("SystemProxyEnabled")->as_number() == 0u);
  CHECK(key->find("CredentialsToAnyProxy")->as_number() == 1u);
  CHECK(key->find("ProxyUrls") == nullptr);
  CHECK(key->find("Password") == nullptr);
  // Back to the defaults: the key goes.
  write_proxy_config(h, proxy_config{});
  CHECK(h.find_key(proxy_key()) == nullptr);
}

TEST_CASE("proxy config: a flag of the wrong type reads as its default") {
  hive h;
  h.set(proxy_key(), reg_value::sz("DirectAttemptEnabled", "0"));
  h.set(proxy_key(), reg_value::dword("WPADEnabled", 7));
  auto c = read_proxy_config(h);
  CHECK(c.direct_fallback);
  CHECK(c.wpad);
}

TEST_CASE("proxy config: update is atomic; a failing change leaves the file byte-identical") {
  test::temp_dir dir;
  hive_file file{dir / "registry.reg"};
  auto written = update_proxy_config(file, [](proxy_config& c) -> caf::expected<void> {
    c.proxy_urls = {"http://p:1"};
    return {};
  });
  REQUIRE(written);
  CHECK(written->proxy_urls == std::vector<std::string>{"http://p:1"});
  auto before = test::read_file(dir / "registry.reg");
  CHECK(before.find("\"ProxyUrls\"=\"http://p:1\"") != std::string::npos);
  auto failed = update_proxy_config(file, [](proxy_config& c) -> caf::expected<void> {
    c.proxy_urls.clear();
    return make_error(ec::invalid_argument, "no");
  });
  CHECK_FALSE(failed);
  CHECK(test::read_file(dir / "registry.reg") == before);
  auto loaded = load_proxy_config(file);
  REQUIRE(loaded);
  CHECK(loaded->proxy_urls == std::vector<std::string>{"http://p:1"});
}
