#include "actors/module_logic.hpp"
#include "actors/scan_runner.hpp"
#include "protocol/manifest.hpp"

#include <doctest/doctest.h>

using namespace vigil;
using namespace std::chrono_literals;

namespace {

hive with_values(std::initializer_list<reg_value> values) {
  hive h;
  for (auto& v : values)
    h.set(scan_on_demand_key("Vulnerability"), v);
  return h;
}

} // namespace

TEST_CASE("CpuLimit: 2-100 applies; missing, 1, 101, 0 and a string fall back to 100") {
  CHECK(on_demand_cpu_limit(with_values({reg_value::dword("CpuLimit", 25)}), "Vulnerability") == 25);
  CHECK(on_demand_cpu_limit(with_values({reg_value::dword("CpuLimit", 2)}), "Vulnerability") == 2);
  CHECK(on_demand_cpu_limit(with_values({reg_value::dword("CpuLimit", 100)}), "Vulnerability") == 100);
  CHECK(on_demand_cpu_limit(with_values({reg_value::dword("CpuLimit", 1)}), "Vulnerability") == 100);
  CHECK(on_demand_cpu_limit(with_values({reg_value::dword("CpuLimit", 101)}), "Vulnerability") == 100);
  CHECK(on_demand_cpu_limit(with_values({reg_value::dword("CpuLimit", 0)}), "Vulnerability") == 100);
  CHECK(on_demand_cpu_limit(with_values({reg_value::sz("CpuLimit", "50")}), "Vulnerability") == 100);
  CHECK(on_demand_cpu_limit(hive{}, "Vulnerability") == 100);
  // Another module's value does not count.
  CHECK(on_demand_cpu_limit(with_values({reg_value::dword("CpuLimit", 25)}), "UDC") == 100);
}

TEST_CASE("ScanOnDemand / ScanOnStartup: only DWORD 1 asks") {
  CHECK(scan_on_demand_requested(with_values({reg_value::dword("ScanOnDemand", 1)}), "Vulnerability"));
  CHECK_FALSE(scan_on_demand_requested(with_values({reg_value::dword("ScanOnDemand", 2)}), "Vulnerability"));
  CHECK_FALSE(scan_on_demand_requested(with_values({reg_value::sz("ScanOnDemand", "1")}), "Vulnerability"));
  CHECK(scan_on_startup_requested(with_values({reg_value::dword("ScanOnStartup", 1)}), "Vulnerability"));
  CHECK_FALSE(scan_on_startup_requested(with_values({reg_value::dword("ScanOnStartup", 3)}), "Vulnerability"));
  CHECK_FALSE(scan_on_startup_requested(hive{}, "Vulnerability"));
}

TEST_CASE("on-demand requests are refused while not activated, scanning or pending") {
  CHECK(decide_demand({true, false, false}) == demand_decision::start);
  CHECK(decide_demand({false, false, false}) == demand_decision::not_activated);
  CHECK(decide_demand({true, true, false}) == demand_decision::busy);
  CHECK(decide_demand({true, false, true}) == demand_decision::delta_pending);
  CHECK(decide_demand({false, true, true}) == demand_decision::not_activated);
}

TEST_CASE("schedule: at once when never scanned, else one interval after the last end") {
  auto now = std::chrono::system_clock::time_point{} + 1000h;
  CHECK(next_scheduled_scan<std::chrono::system_clock::time_point>(std::nullopt, 4h, now) == now);
  auto ended = now - 1h;
  CHECK(next_scheduled_scan(std::optional{ended}, 4h, now) == ended + 4h);
}

TEST_CASE("CPU limit: the pause keeps CPU over wall time at the limit") {
  CHECK(cpu_limit_pause(100ms, 100ms, 100) == 0ns);
  // 100 ms of CPU at 25 % may take 400 ms of wall time: 300 ms more to wait.
  CHECK(cpu_limit_pause(100ms, 100ms, 25) == 300ms);
  CHECK(cpu_limit_pause(100ms, 500ms, 25) == 0ns);
  CHECK(cpu_limit_pause(10ms, 20ms, 10) == 80ms);
}

TEST_CASE("CPU limit: programs the collectors run count against it (issue 15, defect 8)") {
  // One command that burns CPU in a child: the scan thread itself does
  // almost nothing, so only the child's CPU can make the scan wait.
  protocol::manifest manifest;
  manifest.module = "UDC";
  manifest.version = 1;
  manifest.collectors.push_back(
    {"command",
     {{"type", "command"},
      {"argv", {"/bin/sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"}}}});
  paths root{"/"};
  scan_cost cost;
  run_manifest(root, manifest, 20, &cost);
  INFO("cpu " << std::chrono::duration<double>(cost.cpu).count() << " s, wall "
              << std::chrono::duration<double>(cost.wall).count() << " s");
  CHECK(cost.cpu >= 100ms); // the child's CPU is counted
  // At 20 %, the scan takes at least 5 times the CPU it used (less a
  // scheduling slice of slack), so the child's burst is paid back by waiting.
  CHECK(cost.wall * 100 >= cost.cpu * 480);
}
