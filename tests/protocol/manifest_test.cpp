#include "protocol/manifest.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "tests/protocol/message_check.hpp"

using namespace vigil;
using namespace vigil::protocol;

namespace {

manifest sample_manifest() {
  return manifest{
    .module = "Inventory",
    .version = 7,
    .collectors = {
      {"os", {{"type", "os"}}},
      {"packages", {{"type", "packages"}, {"sources", {"dpkg", "rpm"}}}},
      {"file",
       {{"type", "file"},
        {"path", "/etc/ssh/sshd_config"},
        {"lines", {{"regex", "^PermitRootLogin"}, {"max", 10}}}}},
    },
  };
}

} // namespace

TEST_CASE("manifest: generic message checks") {
  const auto msg = sample_manifest();
  test::check_round_trip(msg);
  // A collector object is kept raw: unknown members inside it are data, not
  // noise (see the next test); unknown members of the manifest are ignored.
  test::check_unknown_fields_ignored(msg, {"/collectors"});
  // Collector members other than "type" are the scan engine's business.
  test::check_field_errors(msg, {},
                           {"/collectors/1/sources", "/collectors/2/path", "/collectors/2/lines"});
  test::check_no_exceptions(msg);
  test::check_top_level<manifest>();
}

TEST_CASE("manifest: collectors keep their raw JSON, unknown types included") {
  auto json = nlohmann::json::parse(R"({"module": "SCA", "version": 0, "collectors": [
    {"type": "future_collector", "weird": [1, {"x": null}], "n": 1.5}]})");
  auto parsed = parse_manifest(json);
  REQUIRE_MESSAGE(parsed, render(parsed.error()));
  REQUIRE(parsed->collectors.size() == 1);
  CHECK(parsed->collectors[0].type == "future_collector");
  CHECK(parsed->collectors[0].spec == json["collectors"][0]);
  CHECK(to_json(*parsed) == json);
}

TEST_CASE("manifest: named errors for module, version and collector type") {
  struct bad_case {
    const char* pointer;
    nlohmann::json value;
    const char* context;
  };
  const bad_case cases[] = {
    {"/module", "Inv", "manifest.module: unknown module \"Inv\""},
    {"/version", -1, "manifest.version: must not be negative"},
    {"/version", 1.0, "manifest.version: expected an integer, got float"},
    {"/collectors/1/type", "", "manifest.collectors[1].type: empty"},
    {"/collectors/2", nlohmann::json::array(),
     "manifest.collectors[2]: expected an object, got array"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.pointer);
    auto json = to_json(sample_manifest());
    json[nlohmann::json::json_pointer{c.pointer}] = c.value;
    auto parsed = parse_manifest(json);
    REQUIRE_FALSE(parsed);
    CHECK(code_of(parsed.error()) == ec::protocol_error);
    CHECK(context_of(parsed.error()) == c.context);
  }
}

TEST_CASE("collector: to_json sets the type member") {
  collector c{"dir", nlohmann::json{{"glob", "*.conf"}}};
  CHECK(to_json(c) == nlohmann::json{{"type", "dir"}, {"glob", "*.conf"}});
  collector odd{"os", nlohmann::json::array()};
  CHECK(to_json(odd) == nlohmann::json{{"type", "os"}});
}
