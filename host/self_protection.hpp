#pragma once

#include <array>
#include <caf/expected.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/hive_store.hpp"
#include "host/paths.hpp"

// Self-protection's state and its keys (SPEC §13), shared by the agent, the
// uninstaller, vigil-spconfig and the health check, so that all of them agree
// on whether protection is on:
//   SelfProtection\Enabled  DWORD  what the platform asked (profile or signed order)
//   SelfProtection\OffKey   SZ     an SPFKEY vigil-spconfig used to turn protection
//                                  off locally until the key expires
//   SelfProtection\UsedKeys MULTI_SZ the nonces of every SPFKEY used on this host
// The off-switch is the key itself, checked again at every read with the
// pinned root: writing `OffKey` by hand with anything but a valid key for
// this host does nothing.

namespace vigil {

/// `HKLM\SOFTWARE\Vigil\VigilAgent\SelfProtection`.
std::string self_protection_key();

/// Whether self-protection is on, and why.
struct protection_state {
  /// `Enabled` = 1: the platform asked for protection.
  bool requested = false;
  /// When a valid `OffKey` turns it off locally: the key's expiry (Unix seconds).
  std::optional<int64_t> off_until;
  /// requested and not turned off by a valid key: what every check acts on.
  bool on() const noexcept {
    return requested && !off_until;
  }
};

/// The state the hive `h` holds at `now` (Unix seconds). An `OffKey` that does
/// not verify (no pinned root, another host's key, altered, expired) counts as
/// absent.
protection_state read_protection_state(const hive& h, int64_t now);

/// Whether self-protection is on in `h` at `now`: `read_protection_state(h, now).on()`.
bool self_protection_enabled(const hive& h, int64_t now);

/// Checks `key` as an SPFKEY for this host (the hive's HostID, the pinned
/// root, `now`) and records its nonce in `UsedKeys`, so it is never accepted
/// again. Each refusal has its own code and never quotes the key: not a valid
/// key (`ec::signature_invalid`, also when no root is pinned), another host's
/// (`ec::wrong_host`), expired (`ec::metadata_expired`), used before
/// (`ec::replayed_metadata`). Returns the key's expiry.
caf::expected<int64_t> use_spfkey(hive_store& hive, std::string_view key, int64_t now);

/// The uninstall gate of SPEC §13: while self-protection is on, removing the
/// agent needs an unused SPFKEY, which then also turns protection off
/// (`turn_protection_off_with_key`), so the agent accepts being stopped; no
/// key given is `ec::invalid_argument`. Off: passes whatever is given.
caf::expected<void> pass_spfkey_gate(hive_store& hive, const std::optional<std::string>& key,
                                     int64_t now);

/// vigil-spconfig's off-switch: uses `key` (`use_spfkey`) and stores it as
/// `OffKey`, so protection stays off until the key expires or the platform
/// turns it on again (`set_protection_requested`). Returns the expiry.
caf::expected<int64_t> turn_protection_off_with_key(hive_store& hive, std::string_view key,
                                                    int64_t now);

/// What the platform asked (a profile or a signed order): writes `Enabled`
/// and, when turning protection on, drops a local `OffKey`, so the
/// platform's word wins over an earlier local switch-off.
caf::expected<void> set_protection_requested(hive_store& hive, bool on);

/// The hive values self-protection restores when changed locally (SPEC §13),
/// as (key path, value name); the key path is relative to the agent's key
/// ("" for the agent's key itself). Values administrators are meant to write
/// (ScanOnDemand, ScanOnStartup, CpuLimit, Proxy, Logs\TraceLevel) are not in
/// it.
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 7> protected_values{{
  {"", "HostID"},
  {"", "CustomerId"},
  {"", "ActivationId"},
  {"", "WebServiceUri"},
  {"SelfProtection", "Enabled"},
  {"SelfProtection", "UsedKeys"},
  {"Trust", "RootKey"},
}};

/// `/etc/systemd/system/vigil-agent.service.d/self-protection.conf` under
/// the root: the drop-in that makes systemd refuse a manual stop and restart
/// the agent always, at once, while self-protection is on (the agent writes
/// it when protection turns on and removes it when it turns off).
std::filesystem::path self_protection_dropin(const paths& p);

/// The drop-in's text.
std::string self_protection_dropin_text();

/// The protected values as a small hive holding only them: what
/// self-protection restores. Stored by the agent as `render_hive` text.
hive protected_values_of(const hive& h);

/// A protected value that differs from the baseline.
struct hive_tamper {
  std::string key;  ///< the full key path
  std::string name; ///< the value's name
  std::string what; ///< "value changed", "deleted" or "added"

  friend bool operator==(const hive_tamper&, const hive_tamper&) = default;
};

/// The protected values of `now` that differ from `baseline` (as made by
/// `protected_values_of`). `UsedKeys` that only gained entries is not a
/// change (vigil-uninstall and vigil-spconfig add to it); losing one is.
std::vector<hive_tamper> compare_protected_values(const hive& now, const hive& baseline);

/// Puts every protected value of `baseline` back into `h` and removes the
/// protected values `baseline` does not have.
void restore_protected_values(hive& h, const hive& baseline);

/// Whether a stop signal sent by process `sender` (siginfo's si_pid) may
/// stop the agent while self-protection is on (SPEC §13: stopping goes
/// through vigil-spconfig, the platform or the service manager): the kernel
/// or init (0, 1: systemd's own stop, which RefuseManualStop guards),
/// `parent` (the built-in supervisor stopping its agent), this process itself
/// (a restart it asked for), or a program whose
/// executable is one of the installed programs or the staged package of a
/// self-upgrade (vigil-setup, vigil-uninstall, vigil-spconfig). Anyone else
/// — `kill` from a shell, even root's — is refused (root can still SIGKILL,
/// which the supervisor answers with a restart).
bool stop_signal_allowed(const paths& p, int sender, int parent);

} // namespace vigil
