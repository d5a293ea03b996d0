#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "protocol/body.hpp"

namespace vigil::protocol {

// Resumable exactly-once delta upload (SPEC §9). A delta `(module, seq)` is the
// bytes of `encode_delta`. The agent asks `GET v1/deltas/{module}/{seq}` how
// much the platform holds, `PUT`s the rest in chunks (each body the bytes from
// `X-Vigil-Offset`, with the whole size in `X-Vigil-Total-Size`), then `POST`s
// `.../complete` with the size and SHA-256. The platform applies each
// `(HostID, module, seq)` at most once and in seq order.

/// The largest chunk body the platform accepts in one `PUT` (larger: 413
/// `too_large`).
inline constexpr size_t max_chunk_bytes = 4 * 1024 * 1024;

/// The largest encoded (compressed) delta the platform accepts, as announced in
/// `X-Vigil-Total-Size` (larger: 413 `too_large`).
inline constexpr uint64_t max_delta_bytes = 256ull * 1024 * 1024;

/// The most bytes a delta may decompress to when the platform decodes it (the
/// `max_decompressed` of `decode_delta`).
inline constexpr size_t max_delta_decompressed_bytes = 1024ull * 1024 * 1024;

/// What the platform holds of one delta: the answer to `GET` and `PUT` on
/// `v1/deltas/{module}/{seq}`.
struct upload_status {
  std::string module;          ///< a `module_names` entry
  uint64_t seq = 0;            ///< the delta's sequence number, at least 1
  uint64_t received_bytes = 0; ///< the bytes held so far: the next chunk's offset
  uint64_t expected_seq = 1;   ///< the next seq the platform will apply, at least 1
  bool applied = false;        ///< whether this seq was applied already

  friend bool operator==(const upload_status&, const upload_status&) = default;
};

/// `POST v1/deltas/{module}/{seq}/complete`: the whole delta has been sent.
struct upload_complete {
  uint64_t size = 0;  ///< the encoded delta's size in bytes
  std::string sha256; ///< its SHA-256, 64 lowercase hex digits

  friend bool operator==(const upload_complete&, const upload_complete&) = default;
};

/// The answer to `.../complete`. Exactly one of `applied` and `duplicate` is true
/// on success: a retried completion after a lost answer reports `duplicate`, so
/// the agent may advance its baseline either way.
struct upload_result {
  bool applied = false;      ///< this call applied the delta
  bool duplicate = false;    ///< the delta was applied by an earlier call
  uint64_t expected_seq = 1; ///< the next seq the platform will apply, at least 1
  uint64_t rows = 0;         ///< how many rows the platform now holds for the module

  friend bool operator==(const upload_result&, const upload_result&) = default;
};

/// `msg` as a JSON object with the fields above.
nlohmann::json to_json(const upload_status& msg);
/// `msg` as a JSON object with the fields above.
nlohmann::json to_json(const upload_complete& msg);
/// `msg` as a JSON object with the fields above.
nlohmann::json to_json(const upload_result& msg);

/// An `upload_status` read from `json`: every field required, `module` a module
/// name, `seq` and `expected_seq` at least 1.
caf::expected<upload_status> parse_upload_status(const nlohmann::json& json);

/// An `upload_complete` read from `json`: both fields required, `sha256`
/// lowercase hex.
caf::expected<upload_complete> parse_upload_complete(const nlohmann::json& json);

/// An `upload_result` read from `json`: every field required, `expected_seq` at
/// least 1, `applied` and `duplicate` not both true.
caf::expected<upload_result> parse_upload_result(const nlohmann::json& json);

/// Lets `parse_body` / `to_body` handle `upload_status`.
template <>
struct message_traits<upload_status> {
  static constexpr std::string_view name = "upload_status"; ///< name in errors
  /// See `parse_upload_status`.
  static caf::expected<upload_status> parse(const nlohmann::json& json) {
    return parse_upload_status(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const upload_status& msg);
};

/// Lets `parse_body` / `to_body` handle `upload_complete`.
template <>
struct message_traits<upload_complete> {
  static constexpr std::string_view name = "upload_complete"; ///< name in errors
  /// See `parse_upload_complete`.
  static caf::expected<upload_complete> parse(const nlohmann::json& json) {
    return parse_upload_complete(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const upload_complete& msg);
};

/// Lets `parse_body` / `to_body` handle `upload_result`.
template <>
struct message_traits<upload_result> {
  static constexpr std::string_view name = "upload_result"; ///< name in errors
  /// See `parse_upload_result`.
  static caf::expected<upload_result> parse(const nlohmann::json& json) {
    return parse_upload_result(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const upload_result& msg);
};

} // namespace vigil::protocol
