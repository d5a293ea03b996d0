#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "protocol/body.hpp"

namespace vigil::protocol {

/// One module's state as the agent reports it at check-in.
struct module_status {
  /// A `module_names` entry.
  std::string module;
  /// What the module is doing, free text for the asset view ("idle", "scanning",
  /// "upload_pending", "blackout"); not interpreted by the platform.
  std::string state;
  /// When its last scan completed, in Unix seconds; 0 when it never scanned.
  int64_t last_scan = 0;
  /// The seq of the delta waiting for upload; 0 when none waits.
  uint64_t pending_seq = 0;

  friend bool operator==(const module_status&, const module_status&) = default;
};

/// The agent's latest upgrade as it reports it at check-in (SPEC §12), so the
/// platform's asset view shows it and the platform can halt a rollout.
struct upgrade_report {
  /// "none", "pending", "downloading", "staged", "installing", "succeeded",
  /// "rolled_back" or "refused" (unknown states are kept as text).
  std::string state;
  std::string target; ///< the version it concerns; empty for "none"
  std::string reason; ///< why it was refused or rolled back: the named cause first
  int64_t at = 0;     ///< when the state was reached, Unix seconds

  friend bool operator==(const upgrade_report&, const upgrade_report&) = default;
};

/// The `order_ack` results: the agent carried the order out.
inline constexpr std::string_view order_result_done = "done";
/// The agent tried and could not carry the order out (`reason` says why).
inline constexpr std::string_view order_result_failed = "failed";
/// The agent would not carry the order out: not signed by the pinned key,
/// signed for another HostID, or not an order it understands (`reason` names
/// the cause, e.g. "signature_invalid: ...").
inline constexpr std::string_view order_result_refused = "refused";

/// Whether `result` is one of the three `order_result_*` values.
bool is_order_result(std::string_view result) noexcept;

/// The agent's final word on one order (SPEC §16: an order is delivered at every
/// check-in until acknowledged). Acknowledging an order twice is harmless: the
/// platform keeps the first acknowledgement.
struct order_ack {
  std::string id;     ///< the order's id, as it was delivered (non-empty)
  std::string result; ///< `order_result_done`, `_failed` or `_refused`
  std::string reason; ///< why it failed or was refused; may be empty for "done"

  friend bool operator==(const order_ack&, const order_ack&) = default;
};

/// A change to the agent's files or protected hive values that
/// self-protection found (SPEC §13), reported at the next check-ins until the
/// platform has it; the platform lists them per host in `assets`.
struct tamper_event {
  int64_t at = 0;        ///< when it was found (Unix seconds)
  std::string kind;      ///< "file" or "hive"
  std::string target;    ///< the file (relative to the program files) or KEY\Value
  std::string what;      ///< "content changed", "deleted", "mode changed", "value changed", ...
  std::string action;    ///< "restored" or why it could not be
  int64_t pid = 0;       ///< who changed it, where the kernel said; 0 unknown
  std::string exe;       ///< that process's executable; empty unknown
  int64_t uid = -1;      ///< its uid; -1 unknown
  uint64_t seq = 0;      ///< the agent's number for it, so a repeat is dropped

  friend bool operator==(const tamper_event&, const tamper_event&) = default;
};

/// `POST v1/checkin`: the periodic configuration check-in ("CAPI", SPEC §6.4).
struct checkin_request {
  std::string host_id;               ///< the agent's HostID GUID
  std::string agent_version;         ///< the running agent's version (non-empty)
  std::string profile_etag;          ///< the etag of the profile it holds; empty when none
  std::vector<module_status> modules; ///< one entry per activated module
  std::optional<upgrade_report> upgrade; ///< absent from agents that never upgraded
  /// Orders finished since they were delivered; sent until the platform stops
  /// delivering them. Absent from the JSON when empty (older agents send none).
  std::vector<order_ack> order_acks;
  /// Tamper events not yet reported; absent from the JSON when empty.
  std::vector<tamper_event> tamper_events;
  /// Whether self-protection is on (SPEC §13); absent from older agents. The
  /// platform flags a protected host that goes silent: its agent may have
  /// been removed around its own scripts.
  std::optional<bool> self_protection;

  friend bool operator==(const checkin_request&, const checkin_request&) = default;
};

/// What the platform orders an agent to do.
enum class order_type {
  uninstall,       ///< remove the agent (SPEC §4)
  upgrade,         ///< upgrade to `target_version` through signed release metadata (SPEC §12)
  self_protection, ///< turn self-protection on or off (`enabled`, SPEC §13)
  reprovision,     ///< drop the HostID and provision again
  scan,            ///< scan `module` now, as ScanOnDemand would
};

/// The wire name of `type`: "uninstall", "upgrade", "self_protection",
/// "reprovision", "scan".
std::string_view to_string(order_type type) noexcept;

/// One order. The optional fields a type needs are required for it: `upgrade`
/// carries `target_version` (the agent fetches the release's signed metadata,
/// SPEC §12; `package_url`, `sha256` and `signature` are optional and only
/// informative); `self_protection` carries `enabled`; `scan` carries `module`.
/// Fields an order type does not use are carried if present, and ignored.
struct order {
  std::string id;                            ///< unique per host, non-empty; acknowledges repeats
  order_type type = order_type::uninstall;   ///< what to do
  std::optional<std::string> target_version; ///< the version to upgrade to
  std::optional<std::string> package_url;    ///< where to download the package from
  std::optional<std::string> sha256;         ///< the package's SHA-256, lowercase hex
  std::optional<std::string> signature;      ///< the package's Ed25519 signature, base64
  std::optional<bool> enabled;               ///< self-protection on or off
  std::optional<std::string> module;         ///< the module to scan (`module_names`)

  friend bool operator==(const order&, const order&) = default;
};

/// A release the platform offers this host (SPEC §12): the host is in the
/// release's rollout, and the rollout is not halted. `metadata` is the signed
/// release metadata (`common/release_metadata`: a signed document the agent
/// verifies against its pinned key); the package is at
/// `endpoint_release_package(version)`.
struct upgrade_offer {
  std::string version;  ///< "X.Y.Z", as the metadata says (checked again after verifying)
  std::string metadata; ///< the signed envelope, as the platform signed it

  friend bool operator==(const upgrade_offer&, const upgrade_offer&) = default;
};

/// The answer to `POST v1/checkin`.
struct checkin_response {
  /// The etag of the host's current profile; when it differs from the one the
  /// agent sent, the agent fetches `GET v1/profile`.
  std::string profile_etag;
  /// Unsigned orders, as platforms before signed orders sent them. The
  /// reference platform always sends this empty (the field is kept for older
  /// agents' parsers, which require it): an unsigned order must not be obeyed.
  std::vector<order> orders;
  /// The release this host should run, when the platform targets one.
  std::optional<upgrade_offer> upgrade;
  /// Orders to carry out, in order: each a signed document (`sign_order`,
  /// protocol/signed_order.hpp) for this host, delivered at every check-in
  /// until the agent acknowledges it in `checkin_request::order_acks`. Absent
  /// from the JSON when empty.
  std::vector<std::string> signed_orders;

  friend bool operator==(const checkin_response&, const checkin_response&) = default;
};

/// `msg` as a JSON object with the fields above.
nlohmann::json to_json(const module_status& msg);
/// `msg` as a JSON object with the fields above.
nlohmann::json to_json(const order_ack& msg);
/// `msg` as a JSON object.
nlohmann::json to_json(const tamper_event& msg);
/// A tamper event from `json` (the agent's journal keeps them as JSON lines);
/// a field missing or mistyped is `ec::parse_error` naming it.
caf::expected<tamper_event> parse_tamper_event(const nlohmann::json& json);
/// `msg` as a JSON object; `modules` as an array of objects; `order_acks` only
/// when not empty.
nlohmann::json to_json(const checkin_request& msg);
/// `msg` as a JSON object; absent optional fields are omitted.
nlohmann::json to_json(const order& msg);
/// `msg` as a JSON object; `orders` as an array of objects; `signed_orders`
/// (an array of strings) only when not empty.
nlohmann::json to_json(const checkin_response& msg);

/// A `checkin_request` read from `json`: every field required, `host_id` a GUID,
/// each module a `module_names` entry; `upgrade` and `order_acks` optional,
/// each ack with a non-empty `id`, a `result` that `is_order_result` accepts
/// and an optional `reason`.
caf::expected<checkin_request> parse_checkin_request(const nlohmann::json& json);

/// A `checkin_response` read from `json`: `profile_etag` and `orders` required,
/// each order with a non-empty id, a known type and the fields its type needs
/// (`sha256` lowercase hex, `module` a module name); `signed_orders` optional,
/// an array of strings (verified by `open_signed_order`, not here).
caf::expected<checkin_response> parse_checkin_response(const nlohmann::json& json);

/// One order read alone (the platform stores queued orders one by one), with
/// the same rules as inside a `checkin_response`.
caf::expected<order> parse_order(const nlohmann::json& json);

/// Lets `parse_body` / `to_body` handle one `order`.
template <>
struct message_traits<order> {
  static constexpr std::string_view name = "order"; ///< name in errors
  /// See `parse_order`.
  static caf::expected<order> parse(const nlohmann::json& json) {
    return parse_order(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const order& msg);
};

/// Lets `parse_body` / `to_body` handle `checkin_request`.
template <>
struct message_traits<checkin_request> {
  static constexpr std::string_view name = "checkin_request"; ///< name in errors
  /// See `parse_checkin_request`.
  static caf::expected<checkin_request> parse(const nlohmann::json& json) {
    return parse_checkin_request(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const checkin_request& msg);
};

/// Lets `parse_body` / `to_body` handle `checkin_response`.
template <>
struct message_traits<checkin_response> {
  static constexpr std::string_view name = "checkin_response"; ///< name in errors
  /// See `parse_checkin_response`.
  static caf::expected<checkin_response> parse(const nlohmann::json& json) {
    return parse_checkin_response(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const checkin_response& msg);
};

} // namespace vigil::protocol
