#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

// Uninstall keys (SPFKEY, SPEC §13): the platform's root key signs one HostID,
// an expiry and a nonce; the uninstaller, vigil-spconfig and the package's
// removal scripts check the key with the pinned public key only, so no host
// ever holds a secret that can mint keys. The key is one token without blanks
// or '=' (it travels as `SPFKEY=<key>` on command lines and in environment
// variables): the unpadded base64url (RFC 4648 §5) of a signed document
// (common/signed_document.hpp) whose payload is
//   {"type":"spfkey","host_id":"{G}","expires_at":N,"nonce":"..."}
// A key is a secret for as long as it is valid: no error, log or report
// repeats it.

namespace vigil {

class signing_key;
class trusted_keys;

/// The payload type of an SPFKEY, so that no other signed document (an order,
/// a manifest, release metadata) can be taken for one.
inline constexpr std::string_view spfkey_type = "spfkey";

/// What a verified SPFKEY says.
struct spfkey_claims {
  std::string host_id;     ///< the HostID it was issued for (equal to the caller's)
  int64_t expires_at = 0;  ///< Unix seconds; the key is valid through this second
  std::string nonce;       ///< unique per key (non-empty): the caller refuses a used one

  friend bool operator==(const spfkey_claims&, const spfkey_claims&) = default;
};

/// A key for `host_id`, valid through `expires_at` (Unix seconds), carrying
/// `nonce` (non-empty; the platform uses a fresh random one per key), signed
/// by `key`. One token of the characters [A-Za-z0-9_-].
std::string make_spfkey(const signing_key& key, std::string_view host_id, int64_t expires_at,
                        std::string_view nonce);

/// The claims of `key` (surrounding blanks and line breaks ignored: a key read
/// from a file or pasted) once every check passes, refused at the first that
/// fails, each with its own code and a context that never repeats the key:
///   1. not a key (empty, not base64url, not a signed document), signed by a
///      key not in `keys`, altered, or a signed payload that is not an SPFKEY
///      (another "type", a field missing or mistyped, an empty nonce)
///                                               -> ec::signature_invalid
///   2. issued for another HostID than `my_host_id` (GUIDs compared ignoring
///      case)                                    -> ec::wrong_host
///   3. `now` past `expires_at`                  -> ec::metadata_expired
/// Whether the key was used already is the caller's check: the claims carry
/// the nonce to remember.
caf::expected<spfkey_claims> check_spfkey(std::string_view key, const trusted_keys& keys,
                                          std::string_view my_host_id, int64_t now);

} // namespace vigil
