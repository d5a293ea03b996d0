// CpuLimit adherence (DESIGN.md budget: scan CPU within ±15 % of the limit at
// 10, 25, 50 %): hashes a fixture tree with the `file` collector at several
// limits and prints CPU time over wall time for each, beside `sha256sum` over
// the same files in the same run (the unthrottled baseline cost).
// Usage: bench_cpu_limit [files] [MiB per file]   (not run by ctest)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "actors/scan_runner.hpp"
#include "protocol/manifest.hpp"

namespace fs = std::filesystem;
using namespace vigil;

int main(int argc, char** argv) {
  int files = argc > 1 ? std::atoi(argv[1]) : 24;
  int mib = argc > 2 ? std::atoi(argv[2]) : 4;
  char dir_template[] = "/tmp/vigil-bench-cpu-XXXXXX";
  fs::path root = ::mkdtemp(dir_template);
  std::mt19937_64 random{7};
  std::vector<std::string> names;
  for (int i = 0; i < files; ++i) {
    auto name = "/data/file" + std::to_string(i);
    fs::create_directories(root / "data");
    std::ofstream out{root / name.substr(1), std::ios::binary};
    std::vector<uint64_t> block(1 << 17);
    for (int m = 0; m < mib; ++m) {
      for (auto& word : block)
        word = random();
      out.write(reinterpret_cast<const char*>(block.data()), 1 << 20);
    }
    names.push_back(name);
  }
  protocol::manifest manifest;
  manifest.module = "UDC";
  manifest.version = 1;
  nlohmann::json spec{{"type", "file"}, {"paths", names}};
  manifest.collectors.push_back({"file", spec});
  paths p{root};
  // Baseline: sha256sum over the same files (same page cache state: warm).
  std::string command = "sha256sum";
  for (auto& n : names)
    command += " " + (root / n.substr(1)).string();
  command += " > /dev/null";
  auto base_start = std::chrono::steady_clock::now();
  if (std::system(command.c_str()) != 0)
    std::fprintf(stderr, "sha256sum failed\n");
  auto base_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - base_start);
  std::printf("| run | limit | wall s | cpu s | cpu/wall | vs limit |\n|---|---|---|---|---|---|\n");
  std::printf("| sha256sum (baseline, no limit) | - | %.2f | - | - | - |\n", base_wall.count());
  for (uint32_t limit : {100u, 50u, 25u, 10u}) {
    scan_cost cost;
    run_manifest(p, manifest, limit, &cost);
    auto wall = std::chrono::duration<double>(cost.wall).count();
    auto cpu = std::chrono::duration<double>(cost.cpu).count();
    auto ratio = 100.0 * cpu / wall;
    std::printf("| vigil file collector, %d x %d MiB | %u %% | %.2f | %.2f | %.1f %% | %+.1f %% |\n",
                files, mib, limit, wall, cpu, ratio, limit < 100 ? 100.0 * (ratio - limit) / limit : 0.0);
  }
  fs::remove_all(root);
  return 0;
}
