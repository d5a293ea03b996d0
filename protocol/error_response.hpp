#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "protocol/body.hpp"

namespace vigil::protocol {

/// The `code` of an `error_response`, one per kind of refusal. Agents act on the
/// code, never on the message; a code they do not know is treated by its HTTP
/// status.
namespace error_codes {
/// 400: the request is malformed (bad JSON, a missing field, a bad header).
inline constexpr std::string_view invalid_request = "invalid_request";
/// 400: the request's `X-Vigil-Protocol` is missing or not a supported version.
inline constexpr std::string_view unsupported_protocol = "unsupported_protocol";
/// 401: no or a wrong agent token, or unknown CustomerId/ActivationId.
inline constexpr std::string_view unauthorized = "unauthorized";
/// 404: no such endpoint, module, host or delta.
inline constexpr std::string_view not_found = "not_found";
/// 409: a delta's seq is ahead of the next one the platform applies;
/// `expected_seq` names that one.
inline constexpr std::string_view seq_gap = "seq_gap";
/// 409: the request contradicts what the platform holds (a chunk at the wrong
/// offset, a completion whose size or SHA-256 does not match the bytes held).
inline constexpr std::string_view conflict = "conflict";
/// 413: a body, chunk or delta is larger than the platform's limit.
inline constexpr std::string_view too_large = "too_large";
/// 500: the platform failed; retry later.
inline constexpr std::string_view internal = "internal";
} // namespace error_codes

/// The body of every 4xx and 5xx answer.
struct error_response {
  std::string code;    ///< an `error_codes` entry (non-empty; unknown codes are kept)
  std::string message; ///< for people and logs, not for decisions
  /// For `seq_gap` (and any delta refusal): the next seq the platform applies.
  std::optional<uint64_t> expected_seq;

  friend bool operator==(const error_response&, const error_response&) = default;
};

/// The HTTP status that carries `code`: 400, 401, 404, 409, 413, 500 as listed
/// in `error_codes`; 500 for a code it does not know.
int http_status_of(std::string_view code) noexcept;

/// `response`, received with HTTP `status`, as a Vigil error: `unauthorized` ->
/// `ec::permission_denied`, `not_found` -> `ec::not_found`, `internal`, any 5xx
/// or 429 -> `ec::busy` (the platform's trouble: retry later), anything else ->
/// `ec::protocol_error`. The
/// context reads "platform <status> <code>: <message>".
caf::error to_error(const error_response& response, int status);

/// The error a non-2xx answer with `body` means: `to_error` of the platform's
/// error body, or, for a body that is not one (a load balancer's or proxy's
/// page), of the status alone, so that a 429 or 5xx is still `ec::busy`.
caf::error error_of_answer(int status, std::string_view body);

/// `msg` as a JSON object; `expected_seq` omitted when absent.
nlohmann::json to_json(const error_response& msg);

/// An `error_response` read from `json`: `code` non-empty and `message`
/// required, `expected_seq` optional (at least 1).
caf::expected<error_response> parse_error_response(const nlohmann::json& json);

/// Lets `parse_body` / `to_body` handle `error_response`.
template <>
struct message_traits<error_response> {
  static constexpr std::string_view name = "error_response"; ///< name in errors
  /// See `parse_error_response`.
  static caf::expected<error_response> parse(const nlohmann::json& json) {
    return parse_error_response(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const error_response& msg);
};

} // namespace vigil::protocol
