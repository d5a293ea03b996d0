#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "protocol/body.hpp"
#include "protocol/version.hpp"

namespace vigil::protocol {

/// The answer to `GET status` (no authentication): the platform is up, which
/// protocol and software version it runs, and its clock.
struct status_response {
  /// "ok" when the platform serves requests.
  std::string status = "ok";
  /// The protocol version the platform speaks (at least 1).
  int protocol = protocol_version;
  /// The platform's software version ("0.1.0").
  std::string version;
  /// The platform's clock, in Unix seconds (lets an agent notice clock skew).
  int64_t time = 0;

  friend bool operator==(const status_response&, const status_response&) = default;
};

/// `msg` as a JSON object with the fields above.
nlohmann::json to_json(const status_response& msg);

/// A `status_response` read from `json`; every field is required, `protocol` at
/// least 1.
caf::expected<status_response> parse_status_response(const nlohmann::json& json);

/// Lets `parse_body` / `to_body` handle `status_response`.
template <>
struct message_traits<status_response> {
  static constexpr std::string_view name = "status_response"; ///< name in errors
  /// See `parse_status_response`.
  static caf::expected<status_response> parse(const nlohmann::json& json) {
    return parse_status_response(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const status_response& msg);
};

} // namespace vigil::protocol
