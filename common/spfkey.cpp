#include "common/spfkey.hpp"

#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/base64.hpp"
#include "common/error.hpp"
#include "common/signed_document.hpp"
#include "common/signing.hpp"
#include "common/text.hpp"

namespace vigil {

namespace {

using json = nlohmann::json;

/// Unpadded base64url of `bytes`: standard base64 with '+' -> '-', '/' -> '_'
/// and the padding dropped, so the key needs no quoting anywhere.
std::string base64url_encode(std::string_view bytes) {
  auto text = base64_encode(bytes);
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  for (auto& c : text)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return text;
}

/// The bytes of unpadded base64url `text`, or nothing: the standard alphabet's
/// '+', '/' and '=' are refused, so each key has one spelling.
std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.find_first_of("+/=") != text.npos)
    return std::nullopt;
  std::string standard{text};
  for (auto& c : standard)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  standard.append((4 - standard.size() % 4) % 4, '=');
  return base64_decode(standard);
}

caf::error not_a_key(std::string_view why) {
  return make_error(ec::signature_invalid, "not a valid SPFKEY: " + std::string{why});
}

/// A GUID compare ignoring the case of hex digits (common/ does not see
/// protocol/guid.hpp; both sides are HostIDs from the hive or the platform).
bool same_host(std::string_view a, std::string_view b) {
  return !a.empty() && fold_case(a) == fold_case(b);
}

} // namespace

std::string make_spfkey(const signing_key& key, std::string_view host_id, int64_t expires_at,
                        std::string_view nonce) {
  json payload = {
    {"type", std::string{spfkey_type}},
    {"host_id", std::string{host_id}},
    {"expires_at", expires_at},
    {"nonce", std::string{nonce}},
  };
  return base64url_encode(
    sign_document(key, payload.dump(-1, ' ', false, json::error_handler_t::replace)));
}

caf::expected<spfkey_claims> check_spfkey(std::string_view key, const trusted_keys& keys,
                                          std::string_view my_host_id, int64_t now) {
  auto token = trim_blanks_and_line_breaks(key);
  if (token.empty())
    return not_a_key("the key is empty");
  auto envelope = base64url_decode(token);
  if (!envelope)
    return not_a_key("the key is not unpadded base64url text (was it cut or changed?)");
  auto payload = open_document(*envelope, keys);
  if (!payload)
    return make_error(ec::signature_invalid,
                      "SPFKEY refused: " + context_of(payload.error()));
  auto doc = json::parse(*payload, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object())
    return not_a_key("the signed payload is not a JSON object");
  auto type = doc.find("type");
  if (type == doc.end() || !type->is_string()
      || type->get_ref<const std::string&>() != spfkey_type)
    return not_a_key("the signed document is not an SPFKEY (\"type\" is not \"spfkey\")");
  spfkey_claims out;
  auto host = doc.find("host_id");
  if (host == doc.end() || !host->is_string() || host->get_ref<const std::string&>().empty())
    return not_a_key("\"host_id\" is missing or not a string");
  out.host_id = host->get<std::string>();
  auto expires = doc.find("expires_at");
  if (expires == doc.end() || !expires->is_number_integer()
      || (expires->is_number_unsigned()
          && expires->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
    return not_a_key("\"expires_at\" is missing or not an integer time");
  out.expires_at = expires->get<int64_t>();
  auto nonce = doc.find("nonce");
  if (nonce == doc.end() || !nonce->is_string() || nonce->get_ref<const std::string&>().empty())
    return not_a_key("\"nonce\" is missing, empty or not a string");
  out.nonce = nonce->get<std::string>();
  if (!same_host(out.host_id, my_host_id))
    return make_error(ec::wrong_host, "the SPFKEY was issued for HostID " + out.host_id
                                        + ", not for this host's HostID "
                                        + std::string{my_host_id});
  if (now > out.expires_at)
    return make_error(ec::metadata_expired,
                      "the SPFKEY for HostID " + out.host_id + " expired at "
                        + std::to_string(out.expires_at) + " (Unix time); now is "
                        + std::to_string(now) + ": ask the platform for a new one");
  return out;
}

} // namespace vigil
