#pragma once

// Internal to platform/: answers and lookups shared by the service's files.

#include <caf/error.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_message.hpp"
#include "platform/service.hpp"
#include "storage/kv_store.hpp"

namespace vigil::platform {

/// What a request carries once authenticated.
struct platform_service::request_context {
  std::string host_id;       ///< set once authenticated
  std::string activation_id; ///< the host's activation key, once authenticated
  std::string os_family;     ///< the host's `os_family_of`, once authenticated
  std::string outcome;       ///< `request_record::outcome`
};

} // namespace vigil::platform

namespace vigil::platform::detail {

/// A JSON answer with `status`.
http_response json_answer(unsigned status, const std::string& body);

/// A 4xx/5xx answer with an `error_response` body; the status follows `code`.
http_response error_answer(std::string_view code, std::string message,
                           std::optional<uint64_t> expected_seq = std::nullopt);

/// A 500 for a failure of the store, logged with its cause.
http_response store_failure(const caf::error& error);

/// The JSON stored under `key` in `column`, or nothing when absent or on error
/// (`error` receives a store failure or a parse failure).
std::optional<nlohmann::json> load_json(kv_store& store, std::string_view column,
                                        std::string_view key, caf::error& error);

/// Whether `module` is a known module name.
bool known_module(std::string_view module);

/// How long a host whose last check-in said self-protection was on has been
/// silent, once it missed three check-in intervals (`interval_s` each):
/// its agent may have been removed around its own scripts, or stopped by
/// someone who could (SPEC §13). Nothing for a host that checks in, that
/// never said it was protected, or never checked in.
std::optional<int64_t> silent_protected_for(bool protection_on, int64_t last_checkin,
                                            int64_t interval_s, int64_t now);

} // namespace vigil::platform::detail
