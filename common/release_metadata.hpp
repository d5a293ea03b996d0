#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

// The signed release metadata of self-patching (SPEC §12) and the checks the
// agent makes before it downloads or installs a release.

namespace vigil {

class trusted_keys;

/// A release version "X.Y.Z": three decimal numbers, compared numerically
/// part by part (0.10.0 > 0.9.9).
struct version {
  uint32_t major_part = 0; ///< X
  uint32_t minor_part = 0; ///< Y
  uint32_t patch_part = 0; ///< Z

  /// The version `text` spells: exactly three dot-separated parts of ASCII
  /// digits, each fitting in 32 bits; anything else (signs, blanks, suffixes,
  /// empty parts, more or fewer parts) is an `ec::parse_error` naming `text`.
  static caf::expected<version> parse(std::string_view text);

  /// "X.Y.Z" in decimal, without leading zeros.
  std::string to_string() const;

  /// Orders by X, then Y, then Z.
  auto operator<=>(const version&) const = default;
};

/// The payload type of release metadata, so that no other signed document
/// (a key rotation, a manifest) can be taken for one.
inline constexpr std::string_view release_metadata_type = "release_metadata";

/// What the platform signs for a release (SPEC §12).
struct release_metadata {
  std::string version;      ///< "X.Y.Z" (`version::parse` accepts it)
  std::string sha256;       ///< the package's SHA-256, 64 lowercase hex digits
  uint64_t size = 0;        ///< the package's size in bytes
  uint64_t serial = 0;      ///< grows with every metadata the platform signs
  int64_t issued_at = 0;    ///< seconds since the Unix epoch
  int64_t expires_at = 0;   ///< seconds since the Unix epoch; valid through this second
  std::string package_name; ///< the package's file name (no '/', not "." or "..")
  /// The expanded package (SPEC §12, binary patches): the same vigil-setup
  /// with its payload archive stored uncompressed and no attachment, which a
  /// host rebuilds from a patch against the expanded package it installed.
  /// Empty / 0 when the platform offers no patches (older metadata).
  std::string expanded_sha256;
  uint64_t expanded_size = 0;
  /// The program files the package installs (SPEC §13): the SHA-256 of their
  /// list (`program_files_digest` in host/program_integrity: path, content
  /// hash, size and mode of each), so that a host can tell whether the
  /// reference copy self-protection restores from is the one released.
  /// Empty in older metadata.
  std::string files_sha256;

  /// The metadata as a JSON object (with "type": "release_metadata"), one line:
  /// the payload to sign with `sign_document`.
  std::string to_json_text() const;

  /// The metadata in `json_text`. Not a JSON object, a "type" other than
  /// "release_metadata", or a field missing, of the wrong JSON type, or out of
  /// its domain (a version that is not X.Y.Z, a hash that is not 64 lowercase
  /// hex digits, a package name that is not a plain file name) is an
  /// `ec::parse_error` whose context names the field.
  static caf::expected<release_metadata> parse(std::string_view json_text);
};

/// What the agent remembers across fetches and installs.
struct release_checks {
  int64_t now = 0;                       ///< seconds since the Unix epoch
  uint64_t highest_serial_seen = 0;      ///< of metadata accepted before (0: none)
  std::string highest_version_installed; ///< "X.Y.Z", the highest ever installed
};

/// The release metadata in the signed `envelope`, once it passes every check,
/// refused at the first that fails, in this order:
///   1. not signed by a key in `keys`               -> ec::signature_invalid
///   2. a payload that is not release metadata      -> ec::parse_error
///   3. a serial below `highest_serial_seen`        -> ec::replayed_metadata
///      (an equal serial is the same metadata fetched again, and accepted)
///   4. a version below `highest_version_installed` -> ec::downgrade_refused
///   5. `now` past `expires_at`                     -> ec::metadata_expired
///      (the context names the expiry time)
/// A `highest_version_installed` that is not X.Y.Z is the caller's mistake:
/// `ec::invalid_argument`, before any check.
caf::expected<release_metadata> check_release(std::string_view envelope, const trusted_keys& keys,
                                              const release_checks& checks);

/// Succeeds when package content of `content_size` bytes hashing to
/// `sha256_hex_of_content` is the package `meta` signed. More bytes than the
/// signed size are `ec::size_exceeded` (checked first, so a download can stop
/// as soon as it grows past it); a different hash is `ec::hash_mismatch`.
caf::expected<void> check_package_bytes(const release_metadata& meta,
                                        std::string_view sha256_hex_of_content,
                                        uint64_t content_size);

/// Like `check_package_bytes`, for the expanded package a host rebuilt from a
/// patch: `expanded_size` and `expanded_sha256`. Metadata without them makes
/// every expanded package `ec::hash_mismatch`.
caf::expected<void> check_expanded_package_bytes(const release_metadata& meta,
                                                 std::string_view sha256_hex_of_content,
                                                 uint64_t content_size);

} // namespace vigil
