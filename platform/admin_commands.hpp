#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "platform/service.hpp"

namespace vigil::platform {

/// Runs one administration command given as JSON — `{"command":
/// "customer_create", "modules": [...]}`, `{"command": "assets"}`,
/// `{"command": "profile_set", "activation": G, "assignments": [...]}`,
/// `{"command": "rows", "host": G, "module": M}`, `{"command": "order_add",
/// "host": G, "order": {...}}` — and answers `{"ok": true, "result": ...}` or
/// `{"ok": false, "error": "..."}`. The same function serves the admin socket
/// of a running server and the offline path, so both behave alike.
std::string run_admin_command(platform_service& service, const std::string& request);

} // namespace vigil::platform
