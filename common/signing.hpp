#pragma once

#include <array>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

// Ed25519 signing and verification: the primitive under the one trust root
// (DESIGN "One trust root"). Keys and signatures travel as one-line text:
//   public key   "vigil-ed25519:<base64 of the 32 raw bytes>"
//   private key  "vigil-ed25519-private:<base64 of the 32-byte seed>"
//   signature    "<base64 of the 64 raw bytes>"

namespace vigil {

/// The prefix of a public key's text form.
inline constexpr std::string_view public_key_prefix = "vigil-ed25519:";

/// The prefix of a private key's text form (a key file's content).
inline constexpr std::string_view private_key_prefix = "vigil-ed25519-private:";

/// An Ed25519 private key. It holds the 32-byte seed, which it never prints or
/// logs (it has no stream operator and no CAF inspection); only `to_text` gives
/// it out, for writing a key file. The seed is wiped when the key is destroyed.
class signing_key {
public:
  /// A fresh key from OpenSSL's random generator; an error (`ec::unspecified`,
  /// naming OpenSSL's message) only when OpenSSL cannot make one.
  static caf::expected<signing_key> generate();

  /// The key written by `to_text`. Surrounding blanks and line breaks (a key
  /// file's final newline) are ignored; anything else that is not the prefix
  /// and the canonical base64 of 32 bytes is an `ec::parse_error`. The error's
  /// context never contains the key text.
  static caf::expected<signing_key> from_text(std::string_view text);

  signing_key(const signing_key&) = default;
  signing_key& operator=(const signing_key&) = default;

  /// Wipes the seed.
  ~signing_key();

  /// The private key as one line of text, "vigil-ed25519-private:<base64>"; a
  /// secret: for a root-only key file, never for logs.
  std::string to_text() const;

  /// The public half, "vigil-ed25519:<base64>": what hosts pin.
  const std::string& public_key_text() const noexcept {
    return public_key_text_;
  }

  /// The Ed25519 signature of exactly the bytes of `message`, as base64 text
  /// that `verify_signature` accepts with `public_key_text()`. Throws
  /// `std::bad_alloc` when OpenSSL cannot allocate (its only failure mode for
  /// a valid key).
  std::string sign(std::string_view message) const;

private:
  signing_key(const std::array<unsigned char, 32>& seed, std::string public_key_text);

  std::array<unsigned char, 32> seed_;
  std::string public_key_text_;
};

/// Succeeds only when `signature_base64` is a valid Ed25519 signature of
/// exactly the bytes of `message` by the key `public_key_text`. Everything
/// else is `ec::signature_invalid`, with a context that says which: a
/// malformed public key, a malformed signature, or a signature that does not
/// match the key (the message was changed or another key signed it).
caf::expected<void> verify_signature(std::string_view public_key_text, std::string_view message,
                                     std::string_view signature_base64);

/// Whether `text` is a public key's text form: the prefix and the canonical
/// base64 of 32 bytes, nothing around it.
bool is_public_key_text(std::string_view text);

/// The name of the key `public_key_text` for documents and logs: the first 16
/// lowercase hex digits of the SHA-256 of its 32 raw bytes. Stable for a key;
/// empty when `public_key_text` is not a public key (`is_public_key_text`).
std::string key_id(std::string_view public_key_text);

} // namespace vigil
