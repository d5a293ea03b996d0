#include "common/signing.hpp"

#include <vector>

#include <doctest/doctest.h>

#include "common/base64.hpp"
#include "common/error.hpp"

using vigil::ec;

namespace {

vigil::signing_key make_key() {
  auto key = vigil::signing_key::generate();
  REQUIRE(key);
  return *key;
}

/// `text` (base64) with one bit of its decoded bytes flipped, re-encoded.
std::string flip_bit_in_base64(std::string_view text, size_t byte, unsigned char bit) {
  auto raw = vigil::base64_decode(text);
  REQUIRE(raw);
  REQUIRE(byte < raw->size());
  (*raw)[byte] = static_cast<char>((*raw)[byte] ^ bit);
  return vigil::base64_encode(*raw);
}

void check_refused(const caf::expected<void>& result, std::string_view context_part) {
  REQUIRE_FALSE(result);
  CHECK(vigil::code_of(result.error()) == ec::signature_invalid);
  CHECK(vigil::context_of(result.error()).find(context_part) != std::string::npos);
}

} // namespace

TEST_CASE("signing: a signature verifies with the signer's public key") {
  auto key = make_key();
  CHECK(key.public_key_text().starts_with("vigil-ed25519:"));
  CHECK(key.public_key_text().size() == 14 + 44);
  auto signature = key.sign("release 1.2.3");
  CHECK(vigil::base64_decode(signature)->size() == 64);
  CHECK(vigil::verify_signature(key.public_key_text(), "release 1.2.3", signature));
  // Ed25519 is deterministic: the same message gives the same signature.
  CHECK(key.sign("release 1.2.3") == signature);
  CHECK(vigil::verify_signature(key.public_key_text(), "", key.sign("")));
}

TEST_CASE("signing: a flipped bit in the message, the signature or the key is refused") {
  auto key = make_key();
  std::string message = "target 1.2.3 sha256 abc";
  auto signature = key.sign(message);
  for (size_t i = 0; i < message.size(); ++i) {
    auto changed = message;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    CAPTURE(i);
    check_refused(vigil::verify_signature(key.public_key_text(), changed, signature),
                  "does not match the key");
  }
  for (size_t byte : {0u, 31u, 32u, 63u}) {
    CAPTURE(byte);
    check_refused(vigil::verify_signature(key.public_key_text(), message,
                                          flip_bit_in_base64(signature, byte, 0x01)),
                  "does not match the key");
  }
  auto raw_key = std::string_view{key.public_key_text()}.substr(14);
  for (size_t byte : {0u, 15u, 30u}) {
    CAPTURE(byte);
    auto changed_key = "vigil-ed25519:" + flip_bit_in_base64(raw_key, byte, 0x04);
    auto result = vigil::verify_signature(changed_key, message, signature);
    REQUIRE_FALSE(result);
    CHECK(vigil::code_of(result.error()) == ec::signature_invalid);
  }
  auto other = make_key();
  check_refused(vigil::verify_signature(other.public_key_text(), message, signature),
                "does not match the key " + vigil::key_id(other.public_key_text()));
}

TEST_CASE("signing: malformed keys and signatures are refused as such") {
  auto key = make_key();
  auto signature = key.sign("m");
  const auto& pub = key.public_key_text();
  for (const std::string& bad_key : std::vector<std::string>{std::string{}, pub.substr(14), "vigil-ed448:" + pub.substr(14),
                              pub + "\n", " " + pub, pub.substr(0, pub.size() - 4),
                              "vigil-ed25519:" + vigil::base64_encode(std::string(31, 'k')),
                              "vigil-ed25519:" + vigil::base64_encode(std::string(33, 'k')),
                              "vigil-ed25519:!!!!"}) {
    CAPTURE(bad_key);
    check_refused(vigil::verify_signature(bad_key, "m", signature), "malformed public key");
    CHECK_FALSE(vigil::is_public_key_text(bad_key));
    CHECK(vigil::key_id(bad_key).empty());
  }
  for (const std::string& bad_signature : std::vector<std::string>{std::string{}, signature.substr(4), signature + "AAAA",
                                    signature + "\n", "not base64!",
                                    vigil::base64_encode(std::string(63, 's'))}) {
    CAPTURE(bad_signature);
    check_refused(vigil::verify_signature(pub, "m", bad_signature), "malformed signature");
  }
  CHECK(vigil::is_public_key_text(pub));
}

TEST_CASE("signing: the key id is 16 hex digits, stable for a key, distinct between keys") {
  auto key = make_key();
  auto id = vigil::key_id(key.public_key_text());
  CHECK(id.size() == 16);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(vigil::key_id(key.public_key_text()) == id);
  auto reloaded = vigil::signing_key::from_text(key.to_text());
  REQUIRE(reloaded);
  CHECK(vigil::key_id(reloaded->public_key_text()) == id);
  CHECK(vigil::key_id(make_key().public_key_text()) != id);
  // A fixed key: the id is the SHA-256 prefix of the 32 raw bytes (RFC 8032
  // test 1's public key).
  CHECK(vigil::key_id("vigil-ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
        == "21fe31dfa154a261");
}

TEST_CASE("signing: a private key's text round-trips and is never its public text") {
  auto key = make_key();
  auto text = key.to_text();
  CHECK(text.starts_with("vigil-ed25519-private:"));
  CHECK(text != key.public_key_text());
  CHECK(text.find(key.public_key_text().substr(14)) == std::string::npos);
  auto reloaded = vigil::signing_key::from_text(text + "\n");
  REQUIRE(reloaded);
  CHECK(reloaded->to_text() == text);
  CHECK(reloaded->public_key_text() == key.public_key_text());
  CHECK(vigil::verify_signature(key.public_key_text(), "x", reloaded->sign("x")));
  CHECK(make_key().to_text() != text);
}

TEST_CASE("signing: a known seed gives RFC 8032's public key and signature") {
  // RFC 8032 §7.1, test 1: the empty message.
  auto key = vigil::signing_key::from_text(
    "vigil-ed25519-private:nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=");
  REQUIRE(key);
  CHECK(key->public_key_text() == "vigil-ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  CHECK(vigil::base64_decode(key->sign("")) ==
        vigil::base64_decode("5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc"
                             "+bRr0lv18FlbviRlUUFDjnoQCw=="));
}

TEST_CASE("signing: malformed private key text is a parse error that does not echo it") {
  auto key = make_key();
  auto text = key.to_text();
  for (const std::string& bad : std::vector<std::string>{std::string{}, text.substr(22), key.public_key_text(),
                          text.substr(0, text.size() - 4), text + "AAAA",
                          "vigil-ed25519-private:" + vigil::base64_encode(std::string(64, 'k'))}) {
    CAPTURE(bad.size());
    auto result = vigil::signing_key::from_text(bad);
    REQUIRE_FALSE(result);
    CHECK(vigil::code_of(result.error()) == ec::parse_error);
    CHECK(vigil::context_of(result.error()).find(text.substr(22, 16)) == std::string::npos);
  }
}
