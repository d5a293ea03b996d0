// CpuLimit adherence (DESIGN.md budget: scan CPU within ±15 % of the limit at
// 10, 25, 50 %): hashes a fixture tree with the `file` collector at several
// limits and prints CPU time over wall time for each, beside `sha256sum` over
// the same files in the same run (the unthrottled baseline cost); then the
// same hashing done by a command-heavy manifest (one `command` collector
// running sha256sum per file, as the unprivileged user), whose children's CPU
// the limit must count too (issue 15, defect 8). "process cpu" is measured
// independently of the pacer, with getrusage (this process and its children).
// Usage: bench_cpu_limit [files] [MiB per file]   (not run by ctest)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sys/resource.h>
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
  // The same work in child processes: commands run as `nobody`, so the
  // fixture is readable by all.
  fs::permissions(root, fs::perms{0755});
  fs::permissions(root / "data", fs::perms{0755});
  protocol::manifest commands;
  commands.module = "UDC";
  commands.version = 1;
  for (auto& n : names)
    commands.collectors.push_back(
      {"command", {{"type", "command"}, {"argv", {"/usr/bin/sha256sum", (root / n.substr(1)).string()}}}});
  auto process_cpu = [] {
    rusage self{}, children{};
    ::getrusage(RUSAGE_SELF, &self);
    ::getrusage(RUSAGE_CHILDREN, &children);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return s(self.ru_utime) + s(self.ru_stime) + s(children.ru_utime) + s(children.ru_stime);
  };
  for (uint32_t limit : {100u, 50u, 25u, 10u}) {
    scan_cost cost;
    auto before = process_cpu();
    run_manifest(p, commands, limit, &cost);
    auto used = process_cpu() - before;
    auto wall = std::chrono::duration<double>(cost.wall).count();
    auto ratio = 100.0 * used / wall;
    std::printf("| vigil command collectors (sha256sum x %d), process cpu | %u %% | %.2f | %.2f | "
                "%.1f %% | %+.1f %% |\n",
                files, limit, wall, used, ratio, limit < 100 ? 100.0 * (ratio - limit) / limit : 0.0);
  }
  fs::remove_all(root);
  return 0;
}
