#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::protocol {

/// The HostID of the calling agent, on every request after provisioning.
inline constexpr std::string_view header_host_id = "X-Vigil-Host-Id";
/// Carries `Bearer <agent token>` on every request after provisioning.
inline constexpr std::string_view header_authorization = "Authorization";
/// The protocol version the agent speaks (`protocol_version`), on every request.
inline constexpr std::string_view header_protocol = "X-Vigil-Protocol";
/// A delta chunk's position: the byte offset of the body within the delta.
inline constexpr std::string_view header_offset = "X-Vigil-Offset";
/// A delta chunk's context: the size in bytes of the whole encoded delta.
inline constexpr std::string_view header_total_size = "X-Vigil-Total-Size";
/// The profile etag the agent holds, on `GET v1/profile`.
inline constexpr std::string_view header_if_none_match = "If-None-Match";
/// The profile's etag, on a `GET v1/profile` answer (200 and 304).
inline constexpr std::string_view header_etag = "ETag";

/// The content type of every JSON body.
inline constexpr std::string_view content_type_json = "application/json";
/// The content type of a delta chunk (zstd-compressed bytes, `delta_codec.hpp`).
inline constexpr std::string_view content_type_delta = "application/zstd";

/// The `Authorization` value carrying `token`: "Bearer <token>".
std::string bearer(std::string_view token);

/// The token of an `Authorization` value of the bearer scheme (scheme name in any
/// case, blanks around the token ignored), or nothing when the value uses another
/// scheme or carries no token.
std::optional<std::string_view> parse_bearer(std::string_view header_value) noexcept;

/// A byte count or offset header (`X-Vigil-Offset`, `X-Vigil-Total-Size`): plain
/// decimal digits, no sign, no blanks inside, at most the range of uint64. Anything
/// else, including an empty value, gives nothing.
std::optional<uint64_t> parse_byte_count(std::string_view header_value) noexcept;

} // namespace vigil::protocol
