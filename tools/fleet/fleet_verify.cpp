#include "tools/fleet/fleet_verify.hpp"

namespace vigil::fleet {

verify_counts compare_rows(const scan::snapshot& expected, const held_rows& held) {
  verify_counts out;
  uint64_t matched_keys = 0;
  for (const auto& row : expected) {
    auto found = held.find(row.key);
    if (found == held.end()) {
      ++out.lost;
      continue;
    }
    ++matched_keys;
    if (found->second != row.value)
      ++out.lost;
  }
  // Every held key not matched above is one the agent does not have.
  out.duplicated = held.size() - matched_keys;
  return out;
}

verify_counts compare_either(const scan::snapshot& acknowledged,
                             const scan::snapshot& unconfirmed, const held_rows& held) {
  auto a = compare_rows(acknowledged, held);
  auto b = compare_rows(unconfirmed, held);
  return a.lost + a.duplicated <= b.lost + b.duplicated ? a : b;
}

} // namespace vigil::fleet
