// The real vigil-proxy binary in temporary roots (SPEC §10, §17).

#include <doctest/doctest.h>

#include "host/hive_file.hpp"
#include "host/proxy_config.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

struct tool_root {
  test::temp_dir dir;
  tool_root() {
    test::write_file(dir / "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
  }
  test::process_result run(std::vector<std::string> args, std::vector<std::string> env = {}) {
    std::vector<std::string> argv{test::program("vigil-proxy").string(), "--root",
                                  dir.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv, env);
  }
  std::string hive_text() const { return test::read_file(dir / "etc/opt/vigil/registry.reg"); }
  proxy_config config() const {
    auto c = load_proxy_config(hive_file{dir / "etc/opt/vigil/registry.reg"});
    REQUIRE(c);
    return *c;
  }
};

} // namespace

TEST_CASE("vigil-proxy binary: --help, set, show, delete") {
  tool_root root;
  auto help = root.run({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("/t on|off") != std::string::npos);
  auto set = root.run({"/u", "http://127.0.0.1:3128;127.0.0.1:8080", "/n", "bob", "/p",
                       "Secret123", "/c"});
  CHECK_MESSAGE(set.exit_code == 0, set.err);
  CHECK(set.out.find("http://127.0.0.1:3128;127.0.0.1:8080") != std::string::npos);
  CHECK(set.out.find("set (encrypted)") != std::string::npos);
  CHECK(set.out.find("Secret123") == std::string::npos);
  CHECK(root.config().username == "bob");
  auto show = root.run({"-C"});
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("Direct after proxies fail (/t):   on") != std::string::npos);
  CHECK(root.run({"/d"}).exit_code == 0);
  CHECK(root.config() == proxy_config{});
}

TEST_CASE("vigil-proxy binary: VIGIL_ROOT works like --root") {
  tool_root root;
  auto r = test::run({test::program("vigil-proxy").string(), "/w", "on"},
                     {"VIGIL_ROOT=" + root.dir.path().string()});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(root.config().wpad);
}

TEST_CASE("vigil-proxy binary: bad arguments fail with a specific message, settings unchanged") {
  tool_root root;
  REQUIRE(root.run({"/u", "http://127.0.0.1:3128", "/n", "bob", "/p", "Secret123"}).exit_code == 0);
  auto before = root.hive_text();
  struct bad {
    std::vector<std::string> args;
    std::string message;
  };
  for (auto& b : std::vector<bad>{
         {{"/u", "http://127.0.0.1:1", "/a", "http://127.0.0.1/x.pac"}, "/u and /a exclude each other"},
         {{"/n", "alice"}, "/n and /p need /u"},
         {{"/w", "maybe"}, "/w takes on or off, not 'maybe'"},
         {{"/q"}, "unknown option '/q'"},
         {{"/t"}, "/t needs a value"},
         {{"/u", "ftp://x:1"}, "the scheme must be http or https"},
         {{}, "no option given"},
         {{"/u", "127.0.0.1:1", "/n", "a", "/p", "Pass", "word"}, "after the /p password"},
       }) {
    CAPTURE(b.message);
    auto r = root.run(b.args);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(b.message) != std::string::npos);
    CHECK(r.err.find("Pass") == std::string::npos);
    CHECK(root.hive_text() == before);
  }
}

TEST_CASE("vigil-proxy binary: a password with spaces and quotes, quoted by the shell") {
  tool_root root;
  auto r = test::run({"/bin/sh", "-c",
                      test::program("vigil-proxy").string() + " --root '" + root.dir.path().string()
                        + "' /u 127.0.0.1:3128 /n bob /p \"a b\\\"c\""});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(root.hive_text().find("a b") == std::string::npos);
  CHECK(root.config().sealed_password);
}
