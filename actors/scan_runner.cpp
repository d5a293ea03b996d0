#include "actors/scan_runner.hpp"

#include <nlohmann/json.hpp>
#include <thread>

#include "actors/module_logic.hpp"
#include "common/error.hpp"
#include "host/thread_cpu.hpp"
#include "scan/collector.hpp"

namespace vigil {

namespace {

/// Thrown by `pace` once the scan is to stop; caught in `run_manifest_until`
/// (it never leaves this file): it unwinds a collector from wherever it paces.
struct scan_stopped {};

} // namespace

caf::expected<scan::snapshot> run_manifest_until(const paths& root,
                                                 const protocol::manifest& manifest,
                                                 uint32_t cpu_limit_percent,
                                                 const std::atomic<bool>& stop, scan_cost* cost) {
  auto cpu_start = thread_cpu_time();
  auto wall_start = std::chrono::steady_clock::now();
  // What the programs the collectors ran used: the limit covers them too.
  std::chrono::nanoseconds children{0};
  scan::collect_context ctx;
  ctx.root_paths = &root;
  ctx.charge_cpu = [&](std::chrono::nanoseconds used) { children += used; };
  ctx.pace = [&] {
    auto pause = cpu_limit_pause(thread_cpu_time() - cpu_start + children,
                                 std::chrono::steady_clock::now() - wall_start, cpu_limit_percent);
    // In slices, so a stop is seen within 50 ms even at a 2 % limit.
    while (pause.count() > 0 && !stop.load()) {
      auto slice = std::min<std::chrono::nanoseconds>(pause, std::chrono::milliseconds{50});
      std::this_thread::sleep_for(slice);
      pause -= slice;
    }
    if (stop.load())
      throw scan_stopped{};
  };
  scan::snapshot rows;
  try {
    for (auto& collector : manifest.collectors) {
      if (auto ok = scan::collect(collector, ctx, rows); !ok)
        rows.push_back({"error/" + collector.type, render(ok.error())});
      ctx.pace();
    }
  } catch (const scan_stopped&) {
    return make_error(ec::cancelled, "the " + manifest.module + " scan was stopped");
  }
  scan::finalize(rows);
  if (cost) {
    cost->cpu = thread_cpu_time() - cpu_start + children;
    cost->wall = std::chrono::steady_clock::now() - wall_start;
    cost->rows = rows.size();
  }
  return rows;
}

scan::snapshot run_manifest(const paths& root, const protocol::manifest& manifest,
                            uint32_t cpu_limit_percent, scan_cost* cost) {
  std::atomic<bool> never{false};
  auto rows = run_manifest_until(root, manifest, cpu_limit_percent, never, cost);
  return rows ? std::move(*rows) : scan::snapshot{};
}

std::string snapshot_jsonl(const scan::snapshot& rows) {
  std::string text;
  for (auto& row : rows)
    text += nlohmann::json{{"key", row.key}, {"value", row.value}}.dump(
              -1, ' ', false, nlohmann::json::error_handler_t::replace)
            + "\n";
  return text;
}

} // namespace vigil
