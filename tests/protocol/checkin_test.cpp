#include "protocol/checkin.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "protocol/sha256.hpp"
#include "tests/protocol/message_check.hpp"

using namespace vigil;
using namespace vigil::protocol;

namespace {

checkin_request sample_request() {
  checkin_request out;
  out.host_id = "{11111111-2222-4333-8444-555555555555}";
  out.agent_version = "0.1.0";
  out.profile_etag = "\"e-17\"";
  out.modules = {{"Inventory", "idle", 1732530000, 0},
                 {"Vulnerability", "upload_pending", 1732529000, 12}};
  return out;
}

order make_order(std::string id, order_type type) {
  order out;
  out.id = std::move(id);
  out.type = type;
  return out;
}

checkin_response sample_response() {
  auto upgrade = make_order("o-1", order_type::upgrade);
  upgrade.target_version = "0.2.0";
  upgrade.package_url = "https://127.0.0.1:8443/CloudAgent/packages/vigil-agent_0.2.0_amd64.deb";
  upgrade.sha256 = sha256_hex("package");
  upgrade.signature = "bWFkZSB1cA==";
  auto protect = make_order("o-2", order_type::self_protection);
  protect.enabled = true;
  auto scan = make_order("o-3", order_type::scan);
  scan.module = "PolicyCompliance";
  checkin_response out;
  out.profile_etag = "\"e-18\"";
  out.orders = {upgrade, protect, scan, make_order("o-4", order_type::uninstall),
                make_order("o-5", order_type::reprovision)};
  return out;
}

} // namespace

TEST_CASE("checkin_request: generic message checks") {
  test::check_message(sample_request(), {});
}

TEST_CASE("checkin_request: generic message checks with order acknowledgements") {
  auto msg = sample_request();
  msg.order_acks = {{"o-1", "done", ""},
                    {"o-2", "refused", "signature_invalid: signed by an unknown key"}};
  // The acks are optional (older agents send none), and so is each reason.
  test::check_message(msg, {"/order_acks", "/order_acks/0/reason", "/order_acks/1/reason"});
}

TEST_CASE("checkin_request: order_acks is left out when empty, and each result is checked") {
  auto json = to_json(sample_request());
  CHECK_FALSE(json.contains("order_acks"));
  auto msg = sample_request();
  msg.order_acks = {{"o-1", "failed", "disk full"}};
  json = to_json(msg);
  REQUIRE(json.contains("order_acks"));
  CHECK(json["order_acks"][0] == nlohmann::json{{"id", "o-1"}, {"result", "failed"},
                                                {"reason", "disk full"}});
  json["order_acks"][0]["result"] = "ok";
  auto parsed = parse_checkin_request(json);
  REQUIRE_FALSE(parsed);
  CHECK(code_of(parsed.error()) == ec::protocol_error);
  CHECK(context_of(parsed.error())
        == "checkin_request.order_acks[0].result: not \"done\", \"failed\" or \"refused\": \"ok\"");
  json["order_acks"][0]["result"] = "done";
  json["order_acks"][0]["id"] = "";
  parsed = parse_checkin_request(json);
  REQUIRE_FALSE(parsed);
  CHECK(context_of(parsed.error()) == "checkin_request.order_acks[0].id: empty");
  CHECK(is_order_result("done"));
  CHECK(is_order_result("failed"));
  CHECK(is_order_result("refused"));
  CHECK_FALSE(is_order_result("Done"));
}

TEST_CASE("checkin_request: an empty etag and no modules are valid") {
  auto msg = sample_request();
  msg.profile_etag.clear();
  msg.modules.clear();
  test::check_round_trip(msg);
}

TEST_CASE("checkin_request: module names are checked and negative seqs refused") {
  auto json = to_json(sample_request());
  json["modules"][1]["module"] = "vulnerability";
  auto parsed = parse_checkin_request(json);
  REQUIRE_FALSE(parsed);
  CHECK(context_of(parsed.error())
        == "checkin_request.modules[1].module: unknown module \"vulnerability\"");
  json = to_json(sample_request());
  json["modules"][0]["pending_seq"] = -1;
  parsed = parse_checkin_request(json);
  REQUIRE_FALSE(parsed);
  CHECK(context_of(parsed.error())
        == "checkin_request.modules[0].pending_seq: expected a non-negative integer, got -1");
}

TEST_CASE("checkin_response: generic message checks") {
  // Only the fields an order's type needs are required; the rest are optional:
  // an upgrade order needs only its target version (SPEC §12).
  test::check_message(sample_response(),
                      {"/orders/0/package_url", "/orders/0/sha256", "/orders/0/signature"});
}

TEST_CASE("checkin_response: generic message checks with signed orders") {
  auto msg = sample_response();
  msg.orders.clear();
  msg.signed_orders = {R"({"signed":"{}","key_id":"k","signature":"s"})", "second"};
  test::check_message(msg, {"/signed_orders"});
}

TEST_CASE("checkin_response: signed_orders is left out when empty, orders always sent") {
  checkin_response msg;
  msg.profile_etag = "\"e\"";
  auto json = to_json(msg);
  CHECK_FALSE(json.contains("signed_orders"));
  // Older agents require "orders": the platform sends it, empty.
  CHECK(json["orders"] == nlohmann::json::array());
  msg.signed_orders = {"envelope"};
  json = to_json(msg);
  CHECK(json["signed_orders"] == nlohmann::json::array({"envelope"}));
  auto parsed = parse_checkin_response(json);
  REQUIRE(parsed);
  CHECK(*parsed == msg);
}

TEST_CASE("checkin_response: no orders") {
  checkin_response msg;
  msg.profile_etag = "\"e\"";
  test::check_round_trip(msg);
}

TEST_CASE("order: an upgrade order needs only its target version") {
  auto parsed = parse_order(nlohmann::json{{"id", "u"}, {"type", "upgrade"},
                                           {"target_version", "0.3.0"}});
  REQUIRE_MESSAGE(parsed, render(parsed.error()));
  CHECK(parsed->target_version == "0.3.0");
  CHECK_FALSE(parsed->package_url);
  CHECK_FALSE(parsed->sha256);
  CHECK_FALSE(parsed->signature);
  parsed = parse_order(nlohmann::json{{"id", "u"}, {"type", "upgrade"}, {"target_version", ""}});
  REQUIRE_FALSE(parsed);
  CHECK(context_of(parsed.error()) == "order.target_version: empty");
}

TEST_CASE("order: fields a type does not need are optional") {
  auto json = nlohmann::json::parse(R"({"profile_etag": "e", "orders": [
    {"id": "a", "type": "uninstall"},
    {"id": "b", "type": "reprovision", "enabled": false},
    {"id": "c", "type": "scan", "module": "SCA", "target_version": null}]})");
  auto parsed = parse_checkin_response(json);
  REQUIRE_MESSAGE(parsed, render(parsed.error()));
  REQUIRE(parsed->orders.size() == 3);
  CHECK(parsed->orders[0].type == order_type::uninstall);
  CHECK_FALSE(parsed->orders[0].module);
  CHECK(parsed->orders[1].enabled == false);
  CHECK(parsed->orders[2].module == "SCA");
  CHECK_FALSE(parsed->orders[2].target_version);
}

TEST_CASE("order: the fields a type needs, a known type and a valid hash") {
  struct bad_case {
    const char* order;
    const char* context;
  };
  const bad_case cases[] = {
    {R"({"id": "a", "type": "upgrade", "package_url": "u", "sha256": "%", "signature": "s"})",
     "checkin_response.orders[0].target_version: missing (required for upgrade)"},
    {R"({"id": "a", "type": "upgrade", "target_version": "1", "package_url": "u", "sha256": "ABC", "signature": "s"})",
     "checkin_response.orders[0].sha256: not a lowercase hex SHA-256: \"ABC\""},
    {R"({"id": "a", "type": "self_protection"})",
     "checkin_response.orders[0].enabled: missing (required for self_protection)"},
    {R"({"id": "a", "type": "scan"})",
     "checkin_response.orders[0].module: missing (required for scan)"},
    {R"({"id": "a", "type": "scan", "module": "Nope"})",
     "checkin_response.orders[0].module: unknown module \"Nope\""},
    {R"({"id": "a", "type": "reboot"})",
     "checkin_response.orders[0].type: unknown order type \"reboot\""},
    {R"({"id": "", "type": "uninstall"})", "checkin_response.orders[0].id: empty"},
  };
  auto hash = sha256_hex("p");
  for (const auto& c : cases) {
    std::string text = c.order;
    if (auto pos = text.find('%'); pos != std::string::npos)
      text.replace(pos, 1, hash);
    CAPTURE(text);
    auto json = nlohmann::json{{"profile_etag", "e"}, {"orders", {nlohmann::json::parse(text)}}};
    auto parsed = parse_checkin_response(json);
    REQUIRE_FALSE(parsed);
    CHECK(code_of(parsed.error()) == ec::protocol_error);
    CHECK(context_of(parsed.error()) == c.context);
  }
}

TEST_CASE("order_type wire names") {
  CHECK(to_string(order_type::self_protection) == "self_protection");
  CHECK(to_string(order_type::upgrade) == "upgrade");
  auto scan = make_order("x", order_type::scan);
  scan.module = "UDC";
  CHECK(to_json(scan)
        == nlohmann::json{{"id", "x"}, {"type", "scan"}, {"module", "UDC"}});
}

TEST_CASE("checkin_request: self_protection is sent when known and optional (older agents)") {
  auto msg = sample_request();
  msg.self_protection = true;
  test::check_message(msg, {"/self_protection"});
  CHECK(to_json(msg)["self_protection"] == true);
  CHECK_FALSE(to_json(sample_request()).contains("self_protection"));
}
