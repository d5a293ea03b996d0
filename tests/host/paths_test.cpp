#include "host/paths.hpp"

#include <doctest/doctest.h>

using vigil::paths;

TEST_CASE("paths: every SPEC §1 path lies under the root") {
  paths p{"/tmp/vigil-root/"};
  CHECK(p.root() == "/tmp/vigil-root");
  CHECK(p.program_files() == "/tmp/vigil-root/opt/vigil");
  CHECK(p.program_data() == "/tmp/vigil-root/var/opt/vigil");
  CHECK(p.log_dir() == "/tmp/vigil-root/var/opt/vigil/Log");
  CHECK(p.fallback_log_dir() == "/tmp/vigil-root/var/log/vigil");
  CHECK(p.hive_file() == "/tmp/vigil-root/etc/opt/vigil/registry.reg");
  CHECK(p.installer_log() == "/tmp/vigil-root/var/opt/vigil/CloudAgentInstaller.log");
  CHECK(p.health_check_dir() == "/tmp/vigil-root/opt/vigil/HealthCheck");
  CHECK(p.store_dir() == "/tmp/vigil-root/var/opt/vigil/state/store");
}

TEST_CASE("paths: production root is /") {
  paths p{"/"};
  CHECK(p.hive_file() == "/etc/opt/vigil/registry.reg");
  CHECK(p.log_dir() == "/var/opt/vigil/Log");
}

TEST_CASE("paths: --root is taken from the arguments in both spellings") {
  std::vector<std::string> args{"query", "--root", "/r1", "KEY"};
  CHECK(paths::take_root_option(args) == "/r1");
  CHECK(args == std::vector<std::string>{"query", "KEY"});
  std::vector<std::string> args2{"--root=/r2", "x"};
  CHECK(paths::take_root_option(args2) == "/r2");
  CHECK(args2 == std::vector<std::string>{"x"});
  std::vector<std::string> none{"x"};
  CHECK_FALSE(paths::take_root_option(none).has_value());
}

TEST_CASE("paths: --root wins over VIGIL_ROOT, which wins over /") {
  ::setenv("VIGIL_ROOT", "/from-env", 1);
  CHECK(paths::from_environment(std::string{"/from-arg"}).root() == "/from-arg");
  CHECK(paths::from_environment(std::nullopt).root() == "/from-env");
  ::unsetenv("VIGIL_ROOT");
  CHECK(paths::from_environment(std::nullopt).root() == "/");
}
