#include "protocol/provision.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "tests/protocol/message_check.hpp"

using namespace vigil;
using namespace vigil::protocol;

namespace {

provision_request sample_request() {
  return provision_request{
    .customer_id = "{6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C}",
    .activation_id = "{a1b2c3d4-e5f6-4789-abcd-ef0123456789}",
    .host_id = "{11111111-2222-4333-8444-555555555555}",
    .fingerprint = "machine-id:3f2a;macs:52:54:00:12:34:56",
    .agent_version = "0.1.0",
    .inventory = {.hostname = "web01",
                  .fqdn = "web01.example.com",
                  .os_name = "Debian GNU/Linux",
                  .os_version = "12",
                  .kernel = "6.1.0-18-amd64",
                  .arch = "x86_64",
                  .ipv4 = {"10.0.0.5", "192.168.1.7"},
                  .ipv6 = {"fe80::5054:ff:fe12:3456"},
                  .macs = {"52:54:00:12:34:56"}},
  };
}

provision_response sample_response() {
  return provision_response{.result = provision_result::provisioned,
                            .agent_token = "tok-8d7f6e5d4c3b2a19",
                            .config_id = "cfg-1",
                            .host_id = "{11111111-2222-4333-8444-555555555555}"};
}

} // namespace

TEST_CASE("provision_request: generic message checks") {
  test::check_message(sample_request(), {});
}

TEST_CASE("provision_request: empty inventory strings and lists are valid") {
  auto msg = sample_request();
  msg.inventory.fqdn.clear();
  msg.inventory.ipv6.clear();
  msg.inventory.macs.clear();
  test::check_round_trip(msg);
}

TEST_CASE("provision_request: IDs must be GUIDs, fingerprint and version non-empty") {
  struct bad_case {
    const char* field;
    nlohmann::json value;
    const char* context;
  };
  const bad_case cases[] = {
    {"customer_id", "6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C",
     "provision_request.customer_id: not a GUID: \"6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C\""},
    {"activation_id", "{a1b2c3d4-e5f6-4789-abcd-ef012345678g}",
     "provision_request.activation_id: not a GUID: \"{a1b2c3d4-e5f6-4789-abcd-ef012345678g}\""},
    {"host_id", "", "provision_request.host_id: not a GUID: \"\""},
    {"fingerprint", "", "provision_request.fingerprint: empty"},
    {"agent_version", "", "provision_request.agent_version: empty"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.field);
    auto json = to_json(sample_request());
    json[c.field] = c.value;
    auto parsed = parse_provision_request(json);
    REQUIRE_FALSE(parsed);
    CHECK(code_of(parsed.error()) == ec::protocol_error);
    CHECK(context_of(parsed.error()) == c.context);
  }
}

TEST_CASE("provision_request: exact names for a nested missing or mistyped field") {
  auto json = to_json(sample_request());
  json["inventory"].erase("kernel");
  auto parsed = parse_provision_request(json);
  REQUIRE_FALSE(parsed);
  CHECK(context_of(parsed.error()) == "provision_request.inventory.kernel: missing");
  json = to_json(sample_request());
  json["inventory"]["ipv4"][1] = 7;
  parsed = parse_provision_request(json);
  REQUIRE_FALSE(parsed);
  CHECK(context_of(parsed.error())
        == "provision_request.inventory.ipv4[1]: expected a string, got integer");
}

TEST_CASE("provision_response: generic message checks") {
  test::check_message(sample_response(), {});
}

TEST_CASE("provision_response: reprovision needs neither token nor config") {
  provision_response msg{.result = provision_result::reprovision,
                         .agent_token = "",
                         .config_id = "",
                         .host_id = "{11111111-2222-4333-8444-555555555555}"};
  test::check_round_trip(msg);
  auto json = nlohmann::json{{"result", "reprovision"}, {"host_id", msg.host_id}};
  auto parsed = parse_provision_response(json);
  REQUIRE_MESSAGE(parsed, render(parsed.error()));
  CHECK(parsed->result == provision_result::reprovision);
  CHECK(parsed->agent_token.empty());
}

TEST_CASE("provision_response: a provisioned answer needs a non-empty token") {
  auto json = to_json(sample_response());
  json["agent_token"] = "";
  auto parsed = parse_provision_response(json);
  REQUIRE_FALSE(parsed);
  CHECK(context_of(parsed.error()) == "provision_response.agent_token: empty");
}

TEST_CASE("provision_response: an unknown result is named") {
  auto json = to_json(sample_response());
  json["result"] = "accepted";
  auto parsed = parse_provision_response(json);
  REQUIRE_FALSE(parsed);
  CHECK(context_of(parsed.error())
        == "provision_response.result: unknown result \"accepted\" (expected \"provisioned\" "
           "or \"reprovision\")");
  CHECK(to_string(provision_result::reprovision) == "reprovision");
}
