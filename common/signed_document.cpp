#include "common/signed_document.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/signing.hpp"
#include "common/text.hpp"

namespace vigil {

namespace {

using json = nlohmann::json;

/// `id` as it may appear in a context: key ids are 16 hex digits; anything
/// else comes from an untrusted envelope and is not repeated.
std::string printable_key_id(const std::string& id) {
  bool well_formed = id.size() == 16 && id.find_first_not_of("0123456789abcdef") == id.npos;
  return well_formed ? id : "(malformed key id)";
}

/// The string member `name` of `object`, or null when absent or not a string.
const std::string* string_member(const json& object, const char* name) {
  auto i = object.find(name);
  if (i == object.end() || !i->is_string())
    return nullptr;
  return i->get_ptr<const std::string*>();
}

caf::error not_a_rotation(std::string why) {
  return make_error(ec::signature_invalid, "not a key rotation document: " + std::move(why));
}

} // namespace

caf::expected<void> trusted_keys::add(std::string_view public_key_text) {
  auto text = trim_blanks_and_line_breaks(public_key_text);
  if (!is_public_key_text(text))
    return make_error(ec::parse_error, "malformed public key: expected "
                                         + std::string{public_key_prefix}
                                         + "<base64 of 32 bytes>");
  keys_.emplace(key_id(text), std::string{text});
  return {};
}

const std::string* trusted_keys::find(std::string_view key_id) const {
  auto i = keys_.find(key_id);
  return i == keys_.end() ? nullptr : &i->second;
}

bool trusted_keys::contains(std::string_view public_key_text) const {
  auto found = find(key_id(public_key_text));
  return found != nullptr && *found == public_key_text;
}

std::string sign_document(const signing_key& key, std::string_view payload_json) {
  json envelope = {
    {"signed", std::string{payload_json}},
    {"key_id", key_id(key.public_key_text())},
    {"signature", key.sign(payload_json)},
  };
  return envelope.dump();
}

caf::expected<std::string> open_document(std::string_view envelope, const trusted_keys& keys) {
  auto doc = json::parse(envelope, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return make_error(ec::signature_invalid, "not a signed document: the envelope is not JSON");
  if (!doc.is_object())
    return make_error(ec::signature_invalid,
                      "not a signed document: the envelope is not a JSON object");
  auto payload = string_member(doc, "signed");
  if (payload == nullptr)
    return make_error(ec::signature_invalid, "not a signed document: no \"signed\" string");
  auto signature = string_member(doc, "signature");
  if (signature == nullptr)
    return make_error(ec::signature_invalid, "unsigned document: no \"signature\" string");
  auto id = string_member(doc, "key_id");
  if (id == nullptr)
    return make_error(ec::signature_invalid,
                      "unsigned document: no \"key_id\" naming the signing key");
  auto public_key = keys.find(*id);
  if (public_key == nullptr)
    return make_error(ec::signature_invalid, "signed by an unknown key "
                                               + printable_key_id(*id) + ", not one of the "
                                               + std::to_string(keys.size())
                                               + " trusted keys");
  if (auto verified = verify_signature(*public_key, *payload, *signature); !verified)
    return verified.error();
  return *payload;
}

caf::expected<std::string> accept_rotated_key(std::string_view rotation_envelope,
                                              const trusted_keys& current) {
  auto payload = open_document(rotation_envelope, current);
  if (!payload)
    return payload.error();
  auto doc = json::parse(*payload, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object())
    return not_a_rotation("the signed payload is not a JSON object");
  auto type = string_member(doc, "type");
  if (type == nullptr || *type != key_rotation_type)
    return not_a_rotation("\"type\" is not \"key_rotation\"");
  auto new_key = string_member(doc, "new_key");
  if (new_key == nullptr || !is_public_key_text(*new_key))
    return not_a_rotation("\"new_key\" is not a public key (vigil-ed25519:<base64>)");
  auto serial = doc.find("serial");
  if (serial == doc.end() || !serial->is_number_unsigned())
    return not_a_rotation("\"serial\" is not an unsigned integer");
  return *new_key;
}

} // namespace vigil
