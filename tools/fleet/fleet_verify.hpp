#pragma once

// The end-of-run check: does the platform hold exactly the rows each agent
// sent? Pure comparison; reading the platform is fleet_platform_rows.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "scan/snapshot.hpp"

namespace vigil::fleet {

/// The platform's rows of one host's module: key -> value.
using held_rows = std::map<std::string, std::string, std::less<>>;

/// What a comparison found, in rows.
struct verify_counts {
  /// Rows the agent sent and the platform acknowledged that it does not hold,
  /// or holds with another value (an update it lost, or an older delta applied
  /// again over a newer one).
  uint64_t lost = 0;
  /// Rows the platform holds that the agent's acknowledged state does not
  /// have: a removal it lost, a delta applied twice, rows of a seq the agent
  /// never had acknowledged.
  uint64_t duplicated = 0;

  friend bool operator==(const verify_counts&, const verify_counts&) = default;
  /// Adds `other`'s counts (one host's modules, then the fleet's hosts).
  verify_counts& operator+=(const verify_counts& other) {
    lost += other.lost;
    duplicated += other.duplicated;
    return *this;
  }
};

/// Compares the rows the agent expects the platform to hold (`expected`,
/// finalized) with what it holds.
verify_counts compare_rows(const scan::snapshot& expected, const held_rows& held);

/// As `compare_rows`, for an agent whose last delta's fate it never learnt
/// (the platform may or may not have applied it before the run ended): the
/// platform may hold either `acknowledged` or `unconfirmed`; the closer match
/// counts, so a correct platform shows 0 either way.
verify_counts compare_either(const scan::snapshot& acknowledged,
                             const scan::snapshot& unconfirmed, const held_rows& held);

} // namespace vigil::fleet
