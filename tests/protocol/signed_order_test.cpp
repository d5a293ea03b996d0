#include "protocol/signed_order.hpp"

#include <cctype>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/signed_document.hpp"
#include "common/signing.hpp"

using namespace vigil;
using namespace vigil::protocol;
using json = nlohmann::json;

namespace {

constexpr std::string_view host_a = "{11111111-2222-4333-8444-555555555555}";
constexpr std::string_view host_b = "{AAAAAAAA-2222-4333-8444-555555555555}";

signing_key make_key() {
  auto key = signing_key::generate();
  REQUIRE(key);
  return *key;
}

trusted_keys trusting(const signing_key& key) {
  trusted_keys keys;
  REQUIRE(keys.add(key.public_key_text()));
  return keys;
}

order sample_order() {
  order out;
  out.id = "{0F0F0F0F-2222-4333-8444-555555555555}";
  out.type = order_type::self_protection;
  out.enabled = true;
  return out;
}

void check_refused(const caf::expected<order>& result, ec code, std::string_view context_part) {
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == code);
  CHECK_MESSAGE(context_of(result.error()).find(context_part) != std::string::npos,
                context_of(result.error()));
}

/// A payload signed as it is, to forge payloads the platform would never sign.
std::string signed_payload(const signing_key& key, const json& payload) {
  return sign_document(key, payload.dump());
}

} // namespace

TEST_CASE("signed order: opens for its host with the root trusted") {
  auto root = make_key();
  auto envelope = sign_order(root, host_a, sample_order(), 1700000000);
  auto payload = json::parse(json::parse(envelope)["signed"].get<std::string>());
  CHECK(payload["type"] == "order");
  CHECK(payload["host_id"] == host_a);
  CHECK(payload["issued_at"] == 1700000000);
  CHECK(payload["order"] == to_json(sample_order()));
  auto opened = open_signed_order(envelope, trusting(root), host_a);
  REQUIRE_MESSAGE(opened, render(opened.error()));
  CHECK(*opened == sample_order());
  auto details = open_signed_order_details(envelope, trusting(root), host_a);
  REQUIRE(details);
  CHECK(details->issued_at == 1700000000);
  CHECK(details->host_id == host_a);
  // HostIDs are GUIDs: the case of their hex digits does not matter.
  std::string lower{host_b};
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto for_b = sign_order(root, host_b, sample_order(), 1);
  CHECK(open_signed_order(for_b, trusting(root), lower));
}

TEST_CASE("signed order: every order type survives signing") {
  auto root = make_key();
  std::vector<order> orders(5);
  const order_type types[] = {order_type::uninstall, order_type::upgrade,
                              order_type::self_protection, order_type::reprovision,
                              order_type::scan};
  for (size_t i = 0; i < orders.size(); ++i) {
    orders[i].id = "o-" + std::to_string(i);
    orders[i].type = types[i];
  }
  orders[1].target_version = "0.3.0";
  orders[2].enabled = false;
  orders[4].module = "Inventory";
  for (const auto& o : orders) {
    auto opened = open_signed_order(sign_order(root, host_a, o, 5), trusting(root), host_a);
    REQUIRE_MESSAGE(opened, render(opened.error()));
    CHECK(*opened == o);
  }
}

TEST_CASE("signed order: an order signed for another host is wrong_host") {
  auto root = make_key();
  auto envelope = sign_order(root, host_b, sample_order(), 1);
  check_refused(open_signed_order(envelope, trusting(root), host_a), ec::wrong_host,
                std::string{host_b});
  auto result = open_signed_order(envelope, trusting(root), host_a);
  // The context names HostIDs, never key material.
  CHECK(context_of(result.error()).find(root.public_key_text()) == std::string::npos);
  CHECK(context_of(result.error()).find("vigil-ed25519") == std::string::npos);
  CHECK(context_of(result.error()).find(json::parse(envelope)["signature"].get<std::string>())
        == std::string::npos);
}

TEST_CASE("signed order: unsigned, foreign-signed and altered orders are signature_invalid") {
  auto root = make_key();
  auto foreign = make_key();
  auto keys = trusting(root);
  SUBCASE("an unsigned order (the old plain JSON)") {
    check_refused(open_signed_order(to_body(sample_order()), keys, host_a),
                  ec::signature_invalid, "not a signed document");
    auto doc = json::parse(sign_order(root, host_a, sample_order(), 1));
    doc.erase("signature");
    check_refused(open_signed_order(doc.dump(), keys, host_a), ec::signature_invalid,
                  "unsigned");
  }
  SUBCASE("signed by a key that is not pinned") {
    check_refused(open_signed_order(sign_order(foreign, host_a, sample_order(), 1), keys,
                                    host_a),
                  ec::signature_invalid, "unknown key");
  }
  SUBCASE("altered after signing: another type, another host") {
    auto doc = json::parse(sign_order(root, host_b, sample_order(), 1));
    auto payload = json::parse(doc["signed"].get<std::string>());
    payload["order"]["type"] = "uninstall";
    payload["host_id"] = host_a;
    doc["signed"] = payload.dump();
    check_refused(open_signed_order(doc.dump(), keys, host_a), ec::signature_invalid,
                  "does not match");
  }
  SUBCASE("not JSON at all") {
    check_refused(open_signed_order("", keys, host_a), ec::signature_invalid, "not JSON");
    check_refused(open_signed_order("[1]", keys, host_a), ec::signature_invalid,
                  "not a JSON object");
  }
}

TEST_CASE("signed order: a signed document that is not an order is signature_invalid") {
  auto root = make_key();
  auto keys = trusting(root);
  auto good = json{{"type", "order"}, {"host_id", host_a}, {"issued_at", 1},
                   {"order", to_json(sample_order())}};
  struct bad_case {
    json payload;
    const char* context;
  };
  std::vector<bad_case> cases;
  auto with = [&](const char* field, json value) {
    auto p = good;
    p[field] = std::move(value);
    return p;
  };
  auto without = [&](const char* field) {
    auto p = good;
    p.erase(field);
    return p;
  };
  cases.push_back({with("type", "spfkey"), "\"type\" is not \"order\""});
  cases.push_back({without("type"), "\"type\" is not \"order\""});
  cases.push_back({without("host_id"), "\"host_id\""});
  cases.push_back({with("host_id", 7), "\"host_id\""});
  cases.push_back({without("issued_at"), "\"issued_at\""});
  cases.push_back({with("issued_at", "now"), "\"issued_at\""});
  cases.push_back({without("order"), "\"order\""});
  cases.push_back({with("order", "uninstall"), "\"order\""});
  cases.push_back({json::array({good}), "not a JSON object"});
  for (const auto& c : cases) {
    CAPTURE(c.payload.dump());
    check_refused(open_signed_order(signed_payload(root, c.payload), keys, host_a),
                  ec::signature_invalid, c.context);
  }
  // A release-metadata-shaped document signed by the same root is no order.
  check_refused(open_signed_order(signed_payload(root, json{{"type", "release_metadata"}}), keys,
                                  host_a),
                ec::signature_invalid, "not a signed order");
}

TEST_CASE("signed order: a signed order this agent cannot read is a protocol_error") {
  auto root = make_key();
  auto payload = json{{"type", "order"}, {"host_id", host_a}, {"issued_at", 1},
                      {"order", {{"id", "x"}, {"type", "reboot"}}}};
  check_refused(open_signed_order(signed_payload(root, payload), trusting(root), host_a),
                ec::protocol_error, "order.type: unknown order type \"reboot\"");
}

TEST_CASE("signed order: the claimed id, unverified, for acknowledging a refusal") {
  auto root = make_key();
  auto foreign = make_key();
  CHECK(unverified_order_id(sign_order(foreign, host_b, sample_order(), 1)) == sample_order().id);
  CHECK_FALSE(unverified_order_id(""));
  CHECK_FALSE(unverified_order_id("{\"signed\": 1}"));
  CHECK_FALSE(unverified_order_id(sign_document(root, "{\"order\": {\"id\": \"\"}}")));
  CHECK_FALSE(unverified_order_id(sign_document(root, "not json")));
}
