#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "storage/kv_store.hpp"

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
/// `{"command": "rows", "host": G, "module": M}`, `{"command": "manifest_set",
/// "module": M, "os": "linux"|"windows" (default linux), "manifest": {...}}`
/// (result: the stored manifest), `{"command": "order_add",
/// "host": G, "order": {...}}` (result `{"id": ...}`), `{"command": "spfkey",
/// "host": G, "valid_s": N}` (N defaults to `default_spfkey_validity_s`; result
/// `{"spfkey", "host_id", "expires_at"}`), `{"command": "release_add", "file": PATH,
/// "valid_s": N}` (N defaults to `default_release_validity_s`),
/// `{"command": "release_list"}`, `{"command": "activation", "activation": G}`
/// (result `{"customer_id"}`) — and answers `{"ok": true, "result": ...}` or
/// `{"ok": false, "error": "..."}`. The same function serves the admin socket
/// of a running server and the offline path, so both behave alike.
std::string run_admin_command(platform_service& service, const std::string& request);

/// Where the admin commands of one data directory run: through the running
/// server's admin socket (`DIR/admin.sock`) while `serve` runs there, else on
/// a service opened on the store itself (the server stopped). The first
/// command decides; later ones take the same way, so a caller running many
/// (vigil-fleet's verification) opens the store once.
class admin_channel {
public:
  /// The service options for the offline way, asked for only when it is
  /// taken (they may create the signing key).
  using offline_options = std::function<caf::expected<service_options>()>;

  admin_channel(std::filesystem::path data_dir, offline_options options);
  ~admin_channel();
  admin_channel(const admin_channel&) = delete;
  admin_channel& operator=(const admin_channel&) = delete;

  /// `request`'s answer text (`run_admin_command`'s JSON). An error when
  /// neither way is open: the socket refuses for another reason than that no
  /// server listens, or there is no store (`ec::not_found`).
  caf::expected<std::string> run(const std::string& request);

  /// Whether the commands run on the store (the server is not running).
  bool offline() const noexcept {
    return service_ != nullptr;
  }

private:
  std::filesystem::path dir_;
  offline_options options_;
  std::unique_ptr<kv_store> store_;
  std::unique_ptr<platform_service> service_;
};

} // namespace vigil::platform
