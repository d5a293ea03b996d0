#include "common/spfkey.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/base64.hpp"
#include "common/error.hpp"
#include "common/signed_document.hpp"
#include "common/signing.hpp"

using namespace vigil;
using json = nlohmann::json;

namespace {

constexpr std::string_view host_a = "{11111111-2222-4333-8444-555555555555}";
constexpr std::string_view host_b = "{AAAAAAAA-2222-4333-8444-555555555555}";
constexpr int64_t now = 1700000000;

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

/// The signed envelope inside `key` (the test's own base64url decoder).
std::string envelope_of(std::string key) {
  for (auto& c : key)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  key.append((4 - key.size() % 4) % 4, '=');
  auto bytes = base64_decode(key);
  REQUIRE(bytes);
  return *bytes;
}

/// `envelope` as an SPFKEY token.
std::string token_of(std::string_view envelope) {
  auto text = base64_encode(envelope);
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  for (auto& c : text)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return text;
}

void check_refused(const caf::expected<spfkey_claims>& result, ec code,
                   std::string_view context_part, std::string_view key) {
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == code);
  auto context = context_of(result.error());
  CHECK_MESSAGE(context.find(context_part) != std::string::npos, context);
  // The key is a secret: neither its start nor its end appears in the error.
  if (key.size() >= 16) {
    CHECK(context.find(key.substr(0, 16)) == std::string::npos);
    CHECK(context.find(key.substr(key.size() - 16)) == std::string::npos);
  }
}

} // namespace

TEST_CASE("spfkey: a fresh key checks for its host until it expires") {
  auto root = make_key();
  auto key = make_spfkey(root, host_a, now + 3600, "n-1");
  CHECK(key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        == std::string::npos);
  auto payload = json::parse(json::parse(envelope_of(key))["signed"].get<std::string>());
  CHECK(payload == json{{"type", "spfkey"}, {"host_id", host_a}, {"expires_at", now + 3600},
                        {"nonce", "n-1"}});
  auto claims = check_spfkey(key, trusting(root), host_a, now);
  REQUIRE_MESSAGE(claims, render(claims.error()));
  CHECK(*claims == spfkey_claims{std::string{host_a}, now + 3600, "n-1"});
  // Valid through its expiry second; blanks and a final newline are ignored.
  CHECK(check_spfkey(" " + key + "\n", trusting(root), host_a, now + 3600));
  // HostIDs compare ignoring case.
  auto for_b = make_spfkey(root, host_b, now + 1, "n-2");
  CHECK(check_spfkey(for_b, trusting(root), "{aaaaaaaa-2222-4333-8444-555555555555}", now));
}

TEST_CASE("spfkey: another host's key is wrong_host") {
  auto root = make_key();
  auto key = make_spfkey(root, host_b, now + 3600, "n");
  check_refused(check_spfkey(key, trusting(root), host_a, now), ec::wrong_host,
                std::string{host_b}, key);
}

TEST_CASE("spfkey: an expired key is metadata_expired") {
  auto root = make_key();
  auto key = make_spfkey(root, host_a, now - 1, "n");
  check_refused(check_spfkey(key, trusting(root), host_a, now), ec::metadata_expired, "expired",
                key);
}

TEST_CASE("spfkey: malformed, tampered and foreign-signed keys are signature_invalid") {
  auto root = make_key();
  auto foreign = make_key();
  auto keys = trusting(root);
  auto key = make_spfkey(root, host_a, now + 3600, "n");
  SUBCASE("empty") {
    check_refused(check_spfkey("", keys, host_a, now), ec::signature_invalid, "empty", "");
    check_refused(check_spfkey(" \n", keys, host_a, now), ec::signature_invalid, "empty", "");
  }
  SUBCASE("not base64url") {
    check_refused(check_spfkey("not a key!", keys, host_a, now), ec::signature_invalid,
                  "base64url", "not a key!");
    // The standard alphabet's padding is not the key's spelling.
    check_refused(check_spfkey(key + "=", keys, host_a, now), ec::signature_invalid,
                  "base64url", key);
  }
  SUBCASE("cut short") {
    auto cut = key.substr(0, key.size() - 7);
    check_refused(check_spfkey(cut, keys, host_a, now), ec::signature_invalid, "SPFKEY", cut);
  }
  SUBCASE("signed by a key that is not pinned") {
    auto forged = make_spfkey(foreign, host_a, now + 3600, "n");
    check_refused(check_spfkey(forged, keys, host_a, now), ec::signature_invalid, "unknown key",
                  forged);
  }
  SUBCASE("tampered: a later expiry claimed") {
    auto doc = json::parse(envelope_of(key));
    auto payload = json::parse(doc["signed"].get<std::string>());
    payload["expires_at"] = now + 365 * 86400;
    doc["signed"] = payload.dump();
    auto tampered = token_of(doc.dump());
    check_refused(check_spfkey(tampered, keys, host_a, now), ec::signature_invalid,
                  "does not match", tampered);
  }
  SUBCASE("tampered: another host claimed") {
    auto theirs = make_spfkey(root, host_b, now + 3600, "n");
    auto doc = json::parse(envelope_of(theirs));
    auto payload = json::parse(doc["signed"].get<std::string>());
    payload["host_id"] = host_a;
    doc["signed"] = payload.dump();
    auto tampered = token_of(doc.dump());
    check_refused(check_spfkey(tampered, keys, host_a, now), ec::signature_invalid,
                  "does not match", tampered);
  }
  SUBCASE("a signed document that is not an SPFKEY") {
    auto good = json{{"type", "spfkey"}, {"host_id", host_a}, {"expires_at", now + 5},
                     {"nonce", "n"}};
    std::vector<std::pair<json, const char*>> cases;
    auto with = [&](const char* field, json value) {
      auto p = good;
      p[field] = std::move(value);
      return p;
    };
    cases.push_back({with("type", "order"), "not an SPFKEY"});
    cases.push_back({with("host_id", 1), "host_id"});
    cases.push_back({with("host_id", ""), "host_id"});
    cases.push_back({with("expires_at", "tomorrow"), "expires_at"});
    cases.push_back({with("expires_at", 1.5), "expires_at"});
    cases.push_back({with("nonce", ""), "nonce"});
    cases.push_back({with("nonce", nullptr), "nonce"});
    cases.push_back({json::array(), "not a JSON object"});
    for (const auto& [payload, context] : cases) {
      CAPTURE(payload.dump());
      auto token = token_of(sign_document(root, payload.dump()));
      check_refused(check_spfkey(token, keys, host_a, now), ec::signature_invalid, context,
                    token);
    }
  }
}

TEST_CASE("spfkey: the checks run in order: signature, then host, then expiry") {
  auto root = make_key();
  auto foreign = make_key();
  auto old_foreign = make_spfkey(foreign, host_b, now - 10, "n");
  CHECK(code_of(check_spfkey(old_foreign, trusting(root), host_a, now).error())
        == ec::signature_invalid);
  auto old_other_host = make_spfkey(root, host_b, now - 10, "n");
  CHECK(code_of(check_spfkey(old_other_host, trusting(root), host_a, now).error())
        == ec::wrong_host);
}
