#include "actors/scan_runner.hpp"

#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "actors/module_logic.hpp"
#include "common/error.hpp"
#include "scan/collector.hpp"

namespace vigil {

namespace {

std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec};
}

} // namespace

scan::snapshot run_manifest(const paths& root, const protocol::manifest& manifest,
                         uint32_t cpu_limit_percent, scan_cost* cost) {
  auto cpu_start = thread_cpu_time();
  auto wall_start = std::chrono::steady_clock::now();
  scan::collect_context ctx;
  ctx.root_paths = &root;
  ctx.pace = [&] {
    auto pause = cpu_limit_pause(thread_cpu_time() - cpu_start,
                                 std::chrono::steady_clock::now() - wall_start, cpu_limit_percent);
    if (pause.count() > 0)
      std::this_thread::sleep_for(pause);
  };
  scan::snapshot rows;
  for (auto& collector : manifest.collectors) {
    if (auto ok = scan::collect(collector, ctx, rows); !ok)
      rows.push_back({"error/" + collector.type, render(ok.error())});
    ctx.pace();
  }
  scan::finalize(rows);
  if (cost) {
    cost->cpu = thread_cpu_time() - cpu_start;
    cost->wall = std::chrono::steady_clock::now() - wall_start;
    cost->rows = rows.size();
  }
  return rows;
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
