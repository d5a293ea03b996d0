#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "protocol/body.hpp"

namespace vigil::protocol {

/// The basic inventory an agent reports when it provisions (SPEC §6.3). Every
/// field is required; strings may be empty when the host has no such thing
/// (no FQDN), lists may be empty.
struct host_inventory {
  std::string hostname;           ///< the short host name
  std::string fqdn;               ///< the DNS name, empty when unknown
  std::string os_name;            ///< os-release NAME ("Debian GNU/Linux")
  std::string os_version;         ///< os-release VERSION_ID ("12")
  std::string kernel;             ///< uname release ("6.1.0-18-amd64")
  std::string arch;               ///< uname machine ("x86_64")
  std::vector<std::string> ipv4;  ///< dotted-quad addresses
  std::vector<std::string> ipv6;  ///< textual IPv6 addresses
  std::vector<std::string> macs;  ///< "aa:bb:cc:dd:ee:ff" addresses

  friend bool operator==(const host_inventory&, const host_inventory&) = default;
};

/// `POST v1/provision`: an agent asks to be registered under its HostID.
struct provision_request {
  std::string customer_id;   ///< the CustomerId GUID given at install
  std::string activation_id; ///< the ActivationId GUID given at install
  std::string host_id;       ///< the agent's HostID GUID
  std::string fingerprint;   ///< the machine fingerprint (non-empty), to detect clones
  std::string agent_version; ///< the agent's software version (non-empty)
  host_inventory inventory;  ///< what the host looks like

  friend bool operator==(const provision_request&, const provision_request&) = default;
};

/// What the platform decided about a `provision_request`.
enum class provision_result {
  /// The HostID is registered to this fingerprint; the token is valid.
  provisioned,
  /// The platform saw this HostID with another fingerprint earlier: this host is
  /// a newer clone and must create a new HostID and provision again.
  reprovision,
};

/// The wire name of `result`: "provisioned" or "reprovision".
std::string_view to_string(provision_result result) noexcept;

/// The answer to `POST v1/provision`.
struct provision_response {
  provision_result result = provision_result::provisioned;
  /// The bearer token for every later request; non-empty when provisioned, empty
  /// (and ignored) on `reprovision`.
  std::string agent_token;
  /// The configuration profile assigned to the host; non-empty when
  /// provisioned, may be empty on `reprovision`.
  std::string config_id;
  /// The HostID the answer concerns (a GUID).
  std::string host_id;

  friend bool operator==(const provision_response&, const provision_response&) = default;
};

/// `msg` as a JSON object with the fields above.
nlohmann::json to_json(const host_inventory& msg);
/// `msg` as a JSON object; `inventory` nests.
nlohmann::json to_json(const provision_request& msg);
/// `msg` as a JSON object; `result` as its wire name.
nlohmann::json to_json(const provision_response& msg);

/// A `provision_request` read from `json`. Every field is required; the three
/// IDs must be GUIDs, `fingerprint` and `agent_version` non-empty, and every
/// inventory field present with its type.
caf::expected<provision_request> parse_provision_request(const nlohmann::json& json);

/// A `provision_response` read from `json`: `result` one of the wire names,
/// `host_id` a GUID; `agent_token` and `config_id` required and non-empty when
/// provisioned, optional on `reprovision`.
caf::expected<provision_response> parse_provision_response(const nlohmann::json& json);

/// Lets `parse_body` / `to_body` handle `provision_request`.
template <>
struct message_traits<provision_request> {
  static constexpr std::string_view name = "provision_request"; ///< name in errors
  /// See `parse_provision_request`.
  static caf::expected<provision_request> parse(const nlohmann::json& json) {
    return parse_provision_request(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const provision_request& msg);
};

/// Lets `parse_body` / `to_body` handle `provision_response`.
template <>
struct message_traits<provision_response> {
  static constexpr std::string_view name = "provision_response"; ///< name in errors
  /// See `parse_provision_response`.
  static caf::expected<provision_response> parse(const nlohmann::json& json) {
    return parse_provision_response(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const provision_response& msg);
};

} // namespace vigil::protocol
