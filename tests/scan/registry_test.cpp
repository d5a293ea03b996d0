// The registry collector over a fixture hive.

#include <doctest/doctest.h>

#include "host/hive_file.hpp"
#include "tests/scan/scan_fixture.hpp"

using namespace vigil;
using namespace vigil::scan;
using namespace vigil::scan::test;
using nlohmann::json;

namespace {
const std::string agent = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent";
}

TEST_CASE("registry: values of a key, typed, secrets redacted, subkeys on request") {
  vigil::test::temp_dir dir;
  paths p{dir.path()};
  auto written = hive_file{p.hive_file()}.update([](hive& h) -> caf::expected<void> {
    h.set(agent, reg_value::sz("CustomerId", "c-1"));
    h.set(agent, reg_value::dword("CpuLimit", 50));
    h.set(agent, reg_value::qword("Big", 1ull << 40));
    h.set(agent, reg_value::multi_sz("List", {"a", "b"}));
    h.set(agent, reg_value::binary("Blob", {0xde, 0xad}));
    h.set(agent, reg_value::sz("ProxyPassword", "hunter2"));
    h.set(agent, reg_value::sz("", "default"));
    h.set(agent + "\\ScanOnDemand\\Vulnerability", reg_value::dword("ScanOnDemand", 1));
    return {};
  });
  REQUIRE(written);
  auto rows = run_collector(dir.path(), {{"type", "registry"}, {"key", "HKLM\\SOFTWARE\\Vigil\\VigilAgent"}});
  REQUIRE(rows.size() == 7);
  auto key = "registry/" + agent + "/";
  CHECK(row(rows, key + "CustomerId").value() == json{{"type", "REG_SZ"}, {"data", "c-1"}});
  CHECK(row(rows, key + "CpuLimit").value() == json{{"type", "REG_DWORD"}, {"data", 50}});
  CHECK(row(rows, key + "Big")->at("data") == 1ull << 40);
  CHECK(row(rows, key + "List")->at("data") == json::array({"a", "b"}));
  CHECK(row(rows, key + "Blob")->at("data") == "dead");
  CHECK(row(rows, key + "@")->at("data") == "default");
  auto secret = row(rows, key + "ProxyPassword").value();
  CHECK(secret == json{{"type", "REG_SZ"}, {"redacted", true}});
  for (const auto& r : rows)
    CHECK(r.value.find("hunter2") == std::string::npos);

  auto deep = run_collector(dir.path(), {{"type", "registry"}, {"key", agent}, {"recursive", true}});
  CHECK(deep.size() == 8);
  CHECK(row(deep, "registry/" + agent + "\\ScanOnDemand\\Vulnerability/ScanOnDemand")->at("data") == 1);

  auto one = run_collector(dir.path(), {{"type", "registry"}, {"key", agent}, {"value", "cpulimit"}});
  REQUIRE(one.size() == 1);
  CHECK(one[0].key == key + "CpuLimit");
  auto absent = run_collector(dir.path(), {{"type", "registry"}, {"key", agent}, {"value", "Nope"}});
  CHECK(row(absent, key + "Nope").value() == json{{"exists", false}});
  auto no_key = run_collector(dir.path(), {{"type", "registry"}, {"key", "HKLM\\SOFTWARE\\Other"}});
  CHECK(row(no_key, "registry/HKEY_LOCAL_MACHINE\\SOFTWARE\\Other").value() == json{{"exists", false}});
}

TEST_CASE("registry: a malformed hive is one error row") {
  vigil::test::temp_dir dir;
  paths p{dir.path()};
  vigil::test::write_file(p.hive_file(), "this is not a registry file\n");
  auto rows = run_collector(dir.path(), {{"type", "registry"}, {"key", agent}});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].key == "error/registry/hive");
  CHECK(row(rows, rows[0].key)->at("error").get<std::string>().rfind("parse_error", 0) == 0);
}
