#include "common/signed_document.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/signing.hpp"

using vigil::ec;
using json = nlohmann::json;

namespace {

vigil::signing_key make_key() {
  auto key = vigil::signing_key::generate();
  REQUIRE(key);
  return *key;
}

vigil::trusted_keys trusting(const vigil::signing_key& key) {
  vigil::trusted_keys keys;
  REQUIRE(keys.add(key.public_key_text()));
  return keys;
}

void check_refused(const caf::expected<std::string>& result, std::string_view context_part) {
  REQUIRE_FALSE(result);
  CHECK(vigil::code_of(result.error()) == ec::signature_invalid);
  CHECK(vigil::context_of(result.error()).find(context_part) != std::string::npos);
}

std::string rotation_payload(const std::string& new_key, uint64_t serial = 1) {
  return json{{"type", "key_rotation"}, {"new_key", new_key}, {"serial", serial}}.dump();
}

} // namespace

TEST_CASE("signed document: opens with the signer's key trusted, payload byte for byte") {
  auto root = make_key();
  // Spacing, key order and escapes survive: the payload is carried as a string.
  std::string payload = "{ \"b\":1,\n \"a\":\"\\u00e9 \\\"q\\\"\" }";
  auto envelope = vigil::sign_document(root, payload);
  auto parsed = json::parse(envelope);
  CHECK(parsed["key_id"] == vigil::key_id(root.public_key_text()));
  auto opened = vigil::open_document(envelope, trusting(root));
  REQUIRE(opened);
  CHECK(*opened == payload);
}

TEST_CASE("signed document: a key that is not trusted is refused, naming its id") {
  auto root = make_key();
  auto foreign = make_key();
  auto envelope = vigil::sign_document(foreign, R"({"x":1})");
  check_refused(vigil::open_document(envelope, trusting(root)),
                "unknown key " + vigil::key_id(foreign.public_key_text()));
  // Claiming the root's key id does not help: the signature is checked.
  auto doc = json::parse(envelope);
  doc["key_id"] = vigil::key_id(root.public_key_text());
  check_refused(vigil::open_document(doc.dump(), trusting(root)), "does not match the key");
  check_refused(vigil::open_document(envelope, vigil::trusted_keys{}), "unknown key");
}

TEST_CASE("signed document: a tampered payload or signature is refused") {
  auto root = make_key();
  auto doc = json::parse(vigil::sign_document(root, R"({"version":"1.2.3"})"));
  auto tampered = doc;
  tampered["signed"] = R"({"version":"9.9.9"})";
  check_refused(vigil::open_document(tampered.dump(), trusting(root)), "does not match the key");
  tampered = doc;
  tampered["signed"] = R"({"version":"1.2.3"} )"; // one trailing space
  check_refused(vigil::open_document(tampered.dump(), trusting(root)), "does not match the key");
  tampered = doc;
  tampered["signature"] = root.sign("something else");
  check_refused(vigil::open_document(tampered.dump(), trusting(root)), "does not match the key");
  CHECK(vigil::open_document(doc.dump(), trusting(root)));
}

TEST_CASE("signed document: unsigned or malformed envelopes are refused with distinct causes") {
  auto root = make_key();
  auto keys = trusting(root);
  auto doc = json::parse(vigil::sign_document(root, "{}"));
  auto without = [&](const char* field) {
    auto copy = doc;
    copy.erase(field);
    return copy.dump();
  };
  check_refused(vigil::open_document(without("signature"), keys), "no \"signature\"");
  check_refused(vigil::open_document(without("key_id"), keys), "no \"key_id\"");
  check_refused(vigil::open_document(without("signed"), keys), "no \"signed\"");
  check_refused(vigil::open_document("{}", keys), "no \"signed\"");
  check_refused(vigil::open_document("not json", keys), "not JSON");
  check_refused(vigil::open_document("[1,2]", keys), "not a JSON object");
  check_refused(vigil::open_document(R"({"x":1})", keys), "not a signed document");
  auto object_payload = doc;
  object_payload["signed"] = json::object();
  check_refused(vigil::open_document(object_payload.dump(), keys), "no \"signed\" string");
  auto bad_id = doc;
  bad_id["key_id"] = "<script>";
  auto result = vigil::open_document(bad_id.dump(), keys);
  check_refused(result, "malformed key id");
  CHECK(vigil::context_of(result.error()).find("<script>") == std::string::npos);
}

TEST_CASE("trusted keys: only public keys are added; lookup by key id") {
  auto root = make_key();
  vigil::trusted_keys keys;
  CHECK(keys.size() == 0);
  REQUIRE(keys.add(root.public_key_text() + "\n"));
  REQUIRE(keys.add(root.public_key_text()));
  CHECK(keys.size() == 1);
  CHECK(keys.contains(root.public_key_text()));
  REQUIRE(keys.find(vigil::key_id(root.public_key_text())) != nullptr);
  CHECK(*keys.find(vigil::key_id(root.public_key_text())) == root.public_key_text());
  CHECK(keys.find("0000000000000000") == nullptr);
  auto bad = keys.add(root.to_text());
  REQUIRE_FALSE(bad);
  CHECK(vigil::code_of(bad.error()) == ec::parse_error);
  CHECK_FALSE(keys.contains(root.to_text()));
  CHECK(keys.size() == 1);
}

TEST_CASE("key rotation: accepted only when a currently trusted key signed it") {
  auto root = make_key();
  auto next = make_key();
  auto keys = trusting(root);
  auto rotation = vigil::sign_document(root, rotation_payload(next.public_key_text(), 2));
  auto accepted = vigil::accept_rotated_key(rotation, keys);
  REQUIRE(accepted);
  CHECK(*accepted == next.public_key_text());
  CHECK_FALSE(keys.contains(next.public_key_text())); // the caller decides to add it

  // Once added, the new key signs documents and further rotations.
  REQUIRE(keys.add(*accepted));
  CHECK(vigil::open_document(vigil::sign_document(next, "{}"), keys));
  auto third = make_key();
  auto next_rotation = vigil::sign_document(next, rotation_payload(third.public_key_text(), 3));
  auto third_accepted = vigil::accept_rotated_key(next_rotation, keys);
  REQUIRE(third_accepted);
  CHECK(*third_accepted == third.public_key_text());

  // A key cannot introduce itself, nor can an untrusted key introduce another.
  auto self_signed = vigil::sign_document(next, rotation_payload(next.public_key_text()));
  check_refused(vigil::accept_rotated_key(self_signed, trusting(root)), "unknown key");
  check_refused(vigil::accept_rotated_key(next_rotation, trusting(root)), "unknown key");
}

TEST_CASE("key rotation: a trusted document that is not a well-formed rotation is refused") {
  auto root = make_key();
  auto next = make_key();
  auto keys = trusting(root);
  auto refused = [&](const std::string& payload, std::string_view why) {
    CAPTURE(payload);
    check_refused(vigil::accept_rotated_key(vigil::sign_document(root, payload), keys), why);
  };
  auto good = json::parse(rotation_payload(next.public_key_text()));
  auto with = [&](const char* field, json value) {
    auto copy = good;
    if (value.is_null())
      copy.erase(field);
    else
      copy[field] = std::move(value);
    return copy.dump();
  };
  refused("not json", "not a JSON object");
  refused("[]", "not a JSON object");
  refused(with("type", "release_metadata"), "\"type\"");
  refused(with("type", nullptr), "\"type\"");
  refused(with("new_key", nullptr), "\"new_key\"");
  refused(with("new_key", root.to_text()), "\"new_key\"");
  refused(with("new_key", next.public_key_text() + " "), "\"new_key\"");
  refused(with("serial", nullptr), "\"serial\"");
  refused(with("serial", -1), "\"serial\"");
  refused(with("serial", "1"), "\"serial\"");
  refused(with("serial", 1.5), "\"serial\"");
  CHECK(vigil::accept_rotated_key(vigil::sign_document(root, good.dump()), keys));
}
