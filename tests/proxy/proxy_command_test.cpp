// vigil-proxy's grammar and how it changes the hive (SPEC §10).

#include "host/hive_file.hpp"
#include "tools/proxy_command.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "host/secret_box.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

caf::expected<proxy_command> parse(std::vector<std::string> args) {
  return parse_proxy_command(args);
}

std::string error_of(std::vector<std::string> args) {
  auto r = parse(std::move(args));
  REQUIRE_FALSE(r);
  CHECK(code_of(r.error()) == ec::invalid_argument);
  return context_of(r.error());
}

/// A test root with a machine-id, as on a real host.
struct host_root {
  test::temp_dir dir;
  paths p{dir.path()};
  hive_file hive{p.hive_file()};
  host_root() { test::write_file(p.machine_id_file(), "0123456789abcdef0123456789abcdef\n"); }

  caf::expected<proxy_config> run(std::vector<std::string> args) {
    auto command = parse(std::move(args));
    REQUIRE_MESSAGE(command, render(command.error()));
    return apply_proxy_command(*command, hive, p);
  }
};

} // namespace

TEST_CASE("vigil-proxy grammar: the guide's examples 1-6") {
  auto one = parse({"/u", "http://my-proxy:8080"});
  REQUIRE(one);
  CHECK(one->proxy->proxy_urls == std::vector<std::string>{"http://my-proxy:8080"});
  auto two = parse({"/u", "http://my-proxy-1:8080;http://my-proxy-2:8080"});
  REQUIRE(two);
  CHECK(two->proxy->proxy_urls.size() == 2);
  auto three = parse({"/u", "http://my-proxy:8080;http://my-proxy:1080"});
  REQUIRE(three);
  CHECK(three->proxy->proxy_urls[1] == "http://my-proxy:1080");
  auto four = parse({"/u", "http://my-proxy", "/n", "ProxyUsername", "/p", "ProxyPassword"});
  REQUIRE(four);
  CHECK(four->proxy->username == "ProxyUsername");
  CHECK(four->proxy->password == "ProxyPassword");
  // Example 5 as printed in the guide, and as the syntax says.
  auto five = parse({"/http://my-pac-file-server/QualysAgent.pac"});
  REQUIRE(five);
  CHECK(five->proxy->pac_url == "http://my-pac-file-server/QualysAgent.pac");
  auto five_a = parse({"/a", "http://my-pac-file-server/QualysAgent.pac"});
  REQUIRE(five_a);
  CHECK(five_a->proxy->pac_url == five->proxy->pac_url);
  auto six = parse({"/n", "ProxyUsername", "/p", "ProxyPassword", "/a",
                    "http://my-pacfile-server/QualysAgent.pac"});
  REQUIRE(six);
  CHECK(six->proxy->pac_url);
  CHECK(six->proxy->username == "ProxyUsername");
}

TEST_CASE("vigil-proxy grammar: flags, case and prefixes") {
  auto r = parse({"-W", "ON", "/h", "off", "/T", "Off", "/c"});
  REQUIRE(r);
  CHECK(r->wpad == true);
  CHECK(r->system_proxy == false);
  CHECK(r->direct == false);
  CHECK(r->show);
  CHECK_FALSE(r->proxy);
  auto d = parse({"/D"});
  REQUIRE(d);
  CHECK(d->remove);
  auto help = parse({"--help"});
  REQUIRE(help);
  CHECK(help->help);
  auto quoted = parse({"/u", "p:1", "/n", "a b", "/p", "x \"y\" z"});
  REQUIRE(quoted);
  CHECK(quoted->proxy->password == "x \"y\" z");
}

TEST_CASE("vigil-proxy grammar: errors name the problem and never the password") {
  CHECK(error_of({}) == "no option given");
  CHECK(error_of({"/u", "http://a:1", "/a", "http://pac/x"}).find("exclude") != std::string::npos);
  CHECK(error_of({"/n", "bob"}).find("need /u") != std::string::npos);
  CHECK(error_of({"/p", "pw"}).find("need /u") != std::string::npos);
  CHECK(error_of({"/w", "maybe"}) == "/w takes on or off, not 'maybe'");
  CHECK(error_of({"/t"}) == "/t needs a value");
  CHECK(error_of({"/x"}).find("unknown option '/x'") != std::string::npos);
  CHECK(error_of({"/u", "a:1", "/u", "b:2"}) == "/u given twice");
  CHECK(error_of({"/d", "/w", "on"}).find("stands alone") != std::string::npos);
  CHECK(error_of({"stray"}).find("unexpected argument 'stray'") != std::string::npos);
  auto leak = error_of({"/u", "a:1", "/n", "bob", "/p", "hunter2", "second-half"});
  CHECK(leak.find("hunter2") == std::string::npos);
  CHECK(leak.find("second-half") == std::string::npos);
  CHECK(error_of({"/u", "http://bob:hunter2@a:1"}).find("hunter2") == std::string::npos);
}

TEST_CASE("vigil-proxy: sets, seals the password, and replaces credentials as a whole") {
  host_root root;
  auto set = root.run({"/u", "http://a:1;http://b:2", "/n", "bob", "/p", "hunter2"});
  REQUIRE_MESSAGE(set, render(set.error()));
  REQUIRE(set->sealed_password);
  CHECK(set->sealed_password->find("hunter2") == std::string::npos);
  CHECK(test::read_file(root.p.hive_file()).find("hunter2") == std::string::npos);
  auto box = secret_box::open(root.p);
  REQUIRE(box);
  auto opened = box->open_sealed(*set->sealed_password, proxy_password_purpose);
  REQUIRE(opened);
  CHECK(*opened == "hunter2");
  // Flags change only themselves.
  auto flags = root.run({"/t", "off", "/w", "on"});
  REQUIRE(flags);
  CHECK(flags->username == "bob");
  CHECK(flags->sealed_password == set->sealed_password);
  CHECK_FALSE(flags->direct_fallback);
  CHECK(flags->wpad);
  // A new proxy without credentials drops the old ones: they belong to the old proxy.
  auto moved = root.run({"/a", "http://pac/x.pac"});
  REQUIRE(moved);
  CHECK(moved->proxy_urls.empty());
  CHECK(moved->pac_url == "http://pac/x.pac");
  CHECK_FALSE(moved->username);
  CHECK_FALSE(moved->sealed_password);
  CHECK_FALSE(moved->direct_fallback); // untouched
  // /d: everything back to the defaults.
  auto gone = root.run({"/d"});
  REQUIRE(gone);
  CHECK(*gone == proxy_config{});
}

TEST_CASE("vigil-proxy: /c shows whether a password is set, never the password") {
  proxy_config c;
  c.proxy_urls = {"http://a:1"};
  c.username = "bob";
  c.sealed_password = "v1:xyz";
  auto text = render_proxy_config(c);
  CHECK(text.find("http://a:1") != std::string::npos);
  CHECK(text.find("set (encrypted)") != std::string::npos);
  CHECK(text.find("v1:xyz") == std::string::npos);
  CHECK(render_proxy_config(proxy_config{}).find("not set") != std::string::npos);
}
