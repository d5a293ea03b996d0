#pragma once

#include <array>
#include <caf/expected.hpp>
#include <filesystem>
#include <string>
#include <string_view>

#include "host/paths.hpp"

namespace vigil {

/// Encrypts secrets (the proxy password, later others) for storage in the hive
/// (SPEC §10: "stored encrypted with a host-bound key readable only by root").
///
/// Sealed format, ASCII-safe for a REG_SZ:
///   `v1:` + base64(12-byte random nonce || AES-256-GCM ciphertext || 16-byte tag)
/// with the caller's `purpose` (e.g. "proxy-password") as additional
/// authenticated data, so a sealed value moved to another field does not open.
///
/// On POSIX the AES key is HKDF-SHA256 of 32 random bytes kept in
/// `host_key_file` and of the machine-id (`<root>/etc/machine-id`; absent reads as empty). A hive and
/// key file copied to a clone with a new machine-id therefore fail to open
/// (`ec::corruption`, "...encrypted on another machine or the key changed").
///
/// The key material is wiped from memory when the box is destroyed. The box is
/// immutable after `open`, so one box may be used from several threads.
class secret_box {
public:
  /// `paths::host_key_file()`: on POSIX `<root>/etc/opt/vigil/host.key`
  /// (beside the hive), 32 random bytes, mode 0600, owned by the user that
  /// created it (root in production); on Windows in program data, sealed by
  /// DPAPI (host/machine_key.hpp).
  static std::filesystem::path host_key_file(const paths& p);

  /// Loads the host key, creating it on first use (atomically: two processes
  /// racing both end up with the one key that reached the disk first), and
  /// binds it to this machine. A key file readable by group or others is
  /// tightened to 0600 when we own it and refused (`ec::permission_denied`)
  /// otherwise; a key file owned by neither us nor root, a symlink or one of the
  /// wrong size is refused with a named error.
  static caf::expected<secret_box> open(const paths& p);

  /// Encrypts `plaintext` for the field named by `purpose` (non-empty). Every
  /// call uses a fresh random nonce, so sealing the same text twice gives
  /// different results. Registers `plaintext` with `register_secret` so it can
  /// never reach a log.
  caf::expected<std::string> seal(std::string_view plaintext, std::string_view purpose) const;

  /// Decrypts a value made by `seal` with the same `purpose`. Malformed,
  /// truncated or unknown-version input is `ec::parse_error`; a value that fails
  /// authentication (altered, sealed for another purpose, sealed on another
  /// machine or with another key) is `ec::corruption`. Never returns partial
  /// plaintext, and no error message quotes the input. The plaintext is
  /// registered with `register_secret`.
  caf::expected<std::string> open_sealed(std::string_view sealed, std::string_view purpose) const;

  /// Copies hold their own copy of the key and wipe it when destroyed.
  secret_box(const secret_box&) = default;
  secret_box(secret_box&&) = default;
  secret_box& operator=(const secret_box&) = default;
  secret_box& operator=(secret_box&&) = default;
  /// Wipes the key from memory.
  ~secret_box();

private:
  using key_type = std::array<unsigned char, 32>;

  explicit secret_box(const key_type& key) : key_{key} {}

  key_type key_{};
};

} // namespace vigil
