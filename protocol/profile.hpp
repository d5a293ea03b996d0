#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "protocol/blackout_window.hpp"
#include "protocol/body.hpp"

namespace vigil::protocol {

/// The log levels a profile may name (spdlog's names).
inline constexpr std::string_view log_level_names[7] = {"trace", "debug",    "info", "warning",
                                                        "error", "critical", "off"};

/// The default check-in interval when a profile names none (SPEC §6.4).
inline constexpr int default_capi_interval_s = 900;

/// How one module is configured.
struct module_config {
  std::string name;        ///< a `module_names` entry
  bool activated = false;  ///< an inactive module is never scanned
  int scan_interval_s = 0; ///< seconds between scheduled scans, at least 1
  int cpu_limit = 100;     ///< % of one core for scheduled scans, 1 to 100

  friend bool operator==(const module_config&, const module_config&) = default;
};

/// The configuration profile (`GET v1/profile`, SPEC §6.4): everything the
/// platform configures on an agent. The agent persists it and works from the
/// last one it received while offline.
struct profile {
  std::string config_id;        ///< the profile's identity, non-empty
  std::string etag;             ///< its version, non-empty; changes with every edit
  int capi_interval_s = default_capi_interval_s; ///< seconds between check-ins, >= 1
  std::string log_level = "info"; ///< a `log_level_names` entry
  std::string target_version;   ///< the version to auto-upgrade to; empty: none
  /// The share of the hosts (0-100) offered `target_version`, by a stable hash
  /// of the HostID (SPEC §12). The platform decides; agents need not read it.
  int rollout_percent = 100;
  bool self_protection = false; ///< SPEC §13
  std::vector<module_config> modules;          ///< at most one entry per module
  std::vector<blackout_window> blackout_windows; ///< every window, well formed

  friend bool operator==(const profile&, const profile&) = default;
};

/// `msg` as a JSON object with the fields above.
nlohmann::json to_json(const module_config& msg);
/// `msg` as a JSON object; `time_zone` omitted when absent.
nlohmann::json to_json(const blackout_window& msg);
/// `msg` as a JSON object; modules and windows as arrays of objects.
nlohmann::json to_json(const profile& msg);

/// A `blackout_window` read from the object `json`, named `path` in errors:
/// `days`, `start`, `end` required, `time_zone`, `network` (default true),
/// `collection` (default false) optional, and the result must pass `validate`.
caf::expected<blackout_window> parse_blackout_window(const nlohmann::json& json,
                                                     std::string path = "blackout_window");

/// A `profile` read from `json`. Required: `config_id`, `etag` (non-empty),
/// `log_level` (a `log_level_names` entry), `self_protection`, `modules` (each
/// with `name` a module name listed once, `activated`, `scan_interval_s` >= 1, `cpu_limit`
/// 1-100) and `blackout_windows`. Optional: `capi_interval_s` (default 900, >= 1),
/// `target_version` (default empty) and `rollout_percent` (default 100, 0-100;
/// written only when not 100).
///
/// With `dropped_windows` null, a malformed window fails the whole profile (the
/// platform checking what an administrator sets). Otherwise each malformed
/// window, whatever is wrong inside it, is left out and its error appended there,
/// and the rest of the profile still applies (an agent receiving it, SPEC §9b).
caf::expected<profile> parse_profile(const nlohmann::json& json,
                                     std::vector<caf::error>* dropped_windows = nullptr);

/// Like `parse_body<profile>`, but leaving out malformed windows as
/// `parse_profile` does with `dropped_windows`.
caf::expected<profile> parse_profile_body(std::string_view body,
                                          std::vector<caf::error>& dropped_windows);

/// Lets `parse_body` / `to_body` handle `profile` (strictly: a malformed window
/// fails the profile).
template <>
struct message_traits<profile> {
  static constexpr std::string_view name = "profile"; ///< name in errors
  /// See `parse_profile`.
  static caf::expected<profile> parse(const nlohmann::json& json) {
    return parse_profile(json);
  }
  /// The JSON body of `msg`.
  static std::string body(const profile& msg);
};

} // namespace vigil::protocol
