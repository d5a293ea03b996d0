#include "tools/fleet/fleet_rows.hpp"

#include <algorithm>
#include <cstdio>

#include "scan/delta_diff.hpp"
#include "tools/fleet/fleet_schedule.hpp"

namespace vigil::fleet {

namespace {

uint64_t module_salt(std::string_view module) noexcept {
  uint64_t h = 1469598103934665603ull; // FNV-1a
  for (unsigned char c : module)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

} // namespace

scan::snapshot rows_at(const row_model& model, uint64_t host_seed, std::string_view module,
                       uint64_t generation) {
  auto seed = mix(host_seed, module_salt(module));
  auto period = std::max<uint64_t>(1, model.rows / std::max<std::size_t>(1, model.row_changes));
  bool frozen = model.row_changes == 0;
  scan::snapshot out;
  out.reserve(model.rows);
  char key[48];
  char value[160];
  for (uint64_t k = generation; k < generation + model.rows; ++k) {
    auto h = mix(seed, k);
    auto phase = h % period;
    auto version = frozen ? 0 : (generation + phase) / period;
    std::snprintf(key, sizeof key, "packages/pkg-%08llu", static_cast<unsigned long long>(k));
    std::snprintf(value, sizeof value,
                  "{\"arch\":\"amd64\",\"build\":\"%016llx\",\"name\":\"pkg-%08llu\","
                  "\"size\":%llu,\"version\":\"%llu.%llu-%llu\"}",
                  static_cast<unsigned long long>(mix(h, version)),
                  static_cast<unsigned long long>(k),
                  static_cast<unsigned long long>(4096 + (h >> 40) % 900'000),
                  static_cast<unsigned long long>(1 + (h >> 20) % 9),
                  static_cast<unsigned long long>((h >> 8) % 30),
                  static_cast<unsigned long long>(version));
    out.push_back({key, value});
  }
  return out; // zero-padded numbers: already in key order, keys unique
}

protocol::delta delta_between(const row_model& model, uint64_t host_seed,
                              const std::string& module, uint64_t seq, bool full, uint64_t from,
                              uint64_t to) {
  protocol::delta d;
  d.module = module;
  d.seq = seq;
  d.full = full;
  auto current = rows_at(model, host_seed, module, to);
  if (full) {
    d.upserts.reserve(current.size());
    for (auto& row : current)
      d.upserts.push_back({std::move(row.key), std::move(row.value)});
    return d;
  }
  auto changes = scan::diff_snapshots(rows_at(model, host_seed, module, from), current);
  d.upserts = std::move(changes.upserts);
  d.removals = std::move(changes.removals);
  return d;
}

} // namespace vigil::fleet
