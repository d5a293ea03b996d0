#pragma once

#include <string_view>

namespace vigil::protocol {

/// The version of the agent <-> platform protocol these messages implement. The
/// agent sends it in `X-Vigil-Protocol` on every request and the platform reports
/// it in `status_response::protocol`; a change that an older peer would misread
/// increments it.
constexpr int protocol_version = 1;

/// The `X-Vigil-Protocol` header value for `protocol_version` ("1").
constexpr std::string_view protocol_version_text = "1";

/// Whether `header_value` (an `X-Vigil-Protocol` value, surrounding blanks
/// allowed) names `protocol_version` exactly.
constexpr bool is_supported_protocol(std::string_view header_value) {
  while (!header_value.empty() && (header_value.front() == ' ' || header_value.front() == '\t'))
    header_value.remove_prefix(1);
  while (!header_value.empty() && (header_value.back() == ' ' || header_value.back() == '\t'))
    header_value.remove_suffix(1);
  return header_value == protocol_version_text;
}

} // namespace vigil::protocol
