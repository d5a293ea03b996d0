#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

// A signed document: JSON content signed by a trusted key (DESIGN "One trust
// root"). The envelope is
//   {"signed": "<the payload JSON, as a string>", "key_id": "...", "signature": "<base64>"}
// and the signature covers exactly the bytes of the "signed" string, so no
// JSON canonicalization is involved: the payload is parsed only once it has
// been verified.

namespace vigil {

class signing_key;

/// The public keys a host trusts: the root pinned at install plus the keys it
/// accepted through rotation documents. Keys are found by `key_id`.
class trusted_keys {
public:
  /// Trusts `public_key_text` (surrounding blanks and line breaks ignored).
  /// A text that is not a public key is an `ec::parse_error`; adding a key
  /// already trusted changes nothing.
  caf::expected<void> add(std::string_view public_key_text);

  /// The trusted public key named `key_id`, or null when none is.
  const std::string* find(std::string_view key_id) const;

  /// Whether `public_key_text` is trusted.
  bool contains(std::string_view public_key_text) const;

  /// How many keys are trusted.
  size_t size() const noexcept {
    return keys_.size();
  }

private:
  std::map<std::string, std::string, std::less<>> keys_; ///< key id -> public key text
};

/// The envelope carrying `payload_json` signed by `key`, as one line of JSON
/// that `open_document` accepts with `key`'s public half trusted. The payload
/// is carried byte for byte; it must be UTF-8, as JSON text is (otherwise
/// nlohmann::json throws `type_error`).
std::string sign_document(const signing_key& key, std::string_view payload_json);

/// The payload of `envelope` once verified: its exact signed bytes, to be
/// parsed by the caller. Refused with `ec::signature_invalid`, the context
/// saying which: not an envelope (not JSON, no "signed" string), unsigned (no
/// "signature" or "key_id"), signed by a key that is not trusted, or a
/// signature that does not match (the payload was changed).
caf::expected<std::string> open_document(std::string_view envelope, const trusted_keys& keys);

/// The payload type of a key rotation document.
inline constexpr std::string_view key_rotation_type = "key_rotation";

/// The new public key that `rotation_envelope` introduces: a signed document,
/// verified against `current`, whose payload is
///   {"type": "key_rotation", "new_key": "vigil-ed25519:...", "serial": N}.
/// Everything else (refused by `open_document`, another payload type, a
/// missing or malformed field) is `ec::signature_invalid`. The caller decides
/// whether to `add` the key; this function changes nothing.
caf::expected<std::string> accept_rotated_key(std::string_view rotation_envelope,
                                              const trusted_keys& current);

} // namespace vigil
