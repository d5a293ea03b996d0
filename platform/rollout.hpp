#pragma once

// The staged-rollout decision of self-patching (SPEC §12), as pure functions:
// which hosts are in a rollout, when a rollout halts itself, and whether a
// host is offered a release at check-in. No store, no clock, no network, so
// the agent side's tests and the platform's tests compute the same answers.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/sha256.hpp"

namespace vigil::platform {

/// The host's rollout bucket, 0 to 99: the first 8 bytes of the SHA-256 of
/// the HostID text exactly as the agent sends it (`X-Vigil-Host-Id`, braces
/// and case included), read as a big-endian unsigned 64-bit number, mod 100.
/// Stable for a host across check-ins and platform restarts, so a canary group
/// stays the same group while the percentage only grows.
inline int rollout_bucket(std::string_view host_id) {
  auto hex = sha256_hex(host_id);
  uint64_t n = 0;
  for (size_t i = 0; i < 16; ++i) {
    char c = hex[i];
    n = (n << 4) | static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return static_cast<int>(n % 100);
}

/// Whether the host `host_id` is in a rollout limited to `percent` % of the
/// hosts (`RolloutPercent`): `rollout_bucket(host_id) < percent`. 0 takes no
/// host, 100 (or more) every host.
inline bool in_rollout(std::string_view host_id, int percent) {
  return rollout_bucket(host_id) < percent;
}

/// When a rollout halts itself: once at least `min_rollbacks` of the hosts
/// that tried the release rolled back AND they are at least `percent` % of
/// those hosts. The defaults halt after 3 rollbacks out of at most 6 tries.
struct halt_rule {
  int min_rollbacks = 3; ///< rollbacks needed before any halt, >= 1
  int percent = 50;      ///< share of the tried hosts that rolled back, 0-100
};

/// How the hosts fared with one release (one version at one metadata serial).
struct rollout_tally {
  uint64_t tried = 0;       ///< hosts whose latest report is installing, succeeded or rolled_back
  uint64_t succeeded = 0;   ///< of those, the ones that report succeeded
  uint64_t rolled_back = 0; ///< of those, the ones that report rolled_back

  friend bool operator==(const rollout_tally&, const rollout_tally&) = default;
};

/// Whether an upgrade report's `state` means the host tried the release:
/// it got as far as installing it ("installing", "succeeded", "rolled_back").
/// A refusal, a download or a staged package did not touch the host's agent.
bool counts_as_tried(std::string_view state) noexcept;

/// Whether `tally` halts the rollout under `rule`:
/// `rolled_back >= min_rollbacks && rolled_back * 100 >= percent * tried`.
bool should_halt(const rollout_tally& tally, const halt_rule& rule) noexcept;

/// Why a host is or is not offered a release at check-in, in the order the
/// checks are made.
enum class offer_decision {
  no_target,      ///< the host's profile names no TargetVersion
  no_release,     ///< no release of the target version was added
  current,        ///< the host already reports the target version
  not_in_rollout, ///< the host's bucket is not below RolloutPercent
  halted,         ///< the release's rollout halted itself
  rolled_back,    ///< the host rolled this release back (at this serial or later)
  offer,          ///< offered: the check-in answer carries `upgrade`
};

/// The decision's name as `assets` shows it: "no_target", "no_release",
/// "current", "not_in_rollout", "halted", "rolled_back", "offer".
std::string_view to_string(offer_decision decision) noexcept;

/// What the decision looks at, gathered by the caller.
struct offer_inputs {
  std::string_view host_id;        ///< the HostID text (see `rollout_bucket`)
  std::string_view agent_version;  ///< the version the host reports running
  std::string_view target_version; ///< the profile's TargetVersion; empty: none
  int rollout_percent = 100;       ///< the profile's RolloutPercent
  bool release_exists = false;     ///< a release of `target_version` exists
  uint64_t release_serial = 0;     ///< its current metadata serial
  bool release_halted = false;     ///< its rollout (at that serial) halted
  /// The highest release serial at which the host reported rolling the target
  /// back; 0 when it never did. The host is offered the release again only
  /// once its serial is higher: newer metadata.
  uint64_t rolled_back_serial = 0;
};

/// Decides whether the host is offered its target release, checking in the
/// order of `offer_decision`.
offer_decision decide_offer(const offer_inputs& in);

} // namespace vigil::platform
