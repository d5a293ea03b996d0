#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "platform/service.hpp"

namespace vigil::platform {

/// How long release metadata stays valid when `release add` names no
/// `--valid`: 30 days.
inline constexpr int64_t default_release_validity_s = 30 * 24 * 3600;

/// How long an uninstall key stays valid when `spfkey` names no `--valid`:
/// 24 hours (SPEC §13).
inline constexpr int64_t default_spfkey_validity_s = 24 * 3600;

/// Runs one administration command given as JSON — `{"command":
/// "customer_create", "modules": [...]}`, `{"command": "assets"}`,
/// `{"command": "profile_set", "activation": G, "assignments": [...]}`,
/// `{"command": "rows", "host": G, "module": M}`, `{"command": "order_add",
/// "host": G, "order": {...}}` (result `{"id": ...}`), `{"command": "spfkey",
/// "host": G, "valid_s": N}` (N defaults to `default_spfkey_validity_s`; result
/// `{"spfkey", "host_id", "expires_at"}`), `{"command": "release_add", "file": PATH,
/// "valid_s": N}` (N defaults to `default_release_validity_s`),
/// `{"command": "release_list"}`, `{"command": "activation", "activation": G}`
/// (result `{"customer_id"}`) — and answers `{"ok": true, "result": ...}` or
/// `{"ok": false, "error": "..."}`. The same function serves the admin socket
/// of a running server and the offline path, so both behave alike.
std::string run_admin_command(platform_service& service, const std::string& request);

} // namespace vigil::platform
