// Delta diff, 1 M rows, 1 % changed (DESIGN.md budgets: <= 2 s including the
// RocksDB writes and >= 3x faster than a SQLite EXCEPT diff; the delta on the
// wire <= 2 % of the full snapshot's bytes). Builds a realistic snapshot
// (`packages/...` and `file//etc/...` rows, canonical JSON values), makes it the
// module's acknowledged baseline in a real RocksDB store (record_delta of the
// full snapshot + acknowledge, as the agent does), then changes 1 % of the rows,
// removes 0.25 % and adds 0.25 %, and times `record_delta` (the sort-merge diff
// against the baseline scan + the synced pending-delta write). Beside it, on the
// same rows in the same run: `sqlite3` EXCEPT in both directions on two
// in-memory tables loaded beforehand (only the two diff queries are timed), and
// `comm -3` on the two pre-sorted files (LC_ALL=C).
// Usage: bench_delta [rows] [repetitions]   (not run by ctest)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "actors/delta_store.hpp"
#include "common/error.hpp"
#include "protocol/delta_codec.hpp"
#include "scan/delta_diff.hpp"
#include "scan/snapshot.hpp"
#include "storage/rocksdb_store.hpp"

namespace fs = std::filesystem;
using namespace vigil;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string module = "Inventory";

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

std::string hex_digits(std::mt19937_64& random, size_t n) {
  std::string out;
  while (out.size() < n) {
    auto word = random();
    for (int i = 0; i < 16 && out.size() < n; ++i, word >>= 4)
      out += "0123456789abcdef"[word & 15];
  }
  return out;
}

/// A package or file row value as the collectors write it: canonical JSON.
std::string row_value(const std::string& key, std::mt19937_64& random) {
  nlohmann::json v;
  if (key.starts_with("packages/")) {
    auto name = key.substr(9);
    v = {{"arch", random() % 4 == 0 ? "all" : "amd64"},
         {"installed_size", 16 + random() % 90000},
         {"source", name.substr(0, name.find('-'))},
         {"status", "install ok installed"},
         {"version", std::to_string(random() % 10) + "." + std::to_string(random() % 40) + "."
                       + std::to_string(random() % 200) + "-" + std::to_string(1 + random() % 9)
                       + "+deb12u" + std::to_string(random() % 5)}};
  } else {
    v = {{"gid", 0},
         {"mode", random() % 8 == 0 ? "0600" : "0644"},
         {"mtime", 1600000000 + random() % 100000000},
         {"sha256", hex_digits(random, 64)},
         {"size", random() % 200000},
         {"uid", 0}};
  }
  return scan::canonical_json(v);
}

/// The `i`-th key: 40 % packages, 60 % files under /etc, all distinct.
std::string row_key(size_t i, std::mt19937_64& random) {
  static const char* words[] = {"lib",  "python3", "gnome",  "x11",   "perl",  "ssl",
                                "core", "utils",   "common", "data",  "dev",   "doc",
                                "gtk",  "qt5",     "sys",    "net",   "audio", "font"};
  auto word = [&] { return std::string{words[random() % std::size(words)]}; };
  if (i % 5 < 2)
    return "packages/" + word() + word() + "-" + std::to_string(i);
  return "file//etc/" + word() + "/" + word() + ".d/" + word() + std::to_string(i) + ".conf";
}

/// Writes `rows` as `key<sep>value<end>` lines (already in bytewise key order).
void write_rows(const fs::path& file, const scan::snapshot& rows, char sep, char end) {
  std::ofstream out{file, std::ios::binary};
  for (auto& row : rows) {
    out << row.key << sep << row.value << end;
  }
}

std::string run_capture(const std::string& command) {
  std::string out;
  if (auto* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (auto n = std::fread(buffer, 1, sizeof buffer, pipe))
      out.append(buffer, n);
    ::pclose(pipe);
  }
  return out;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_delta: %s\n", what.c_str());
  std::exit(1);
}

} // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  int repetitions = argc > 2 ? std::atoi(argv[2]) : 3;
  char dir_template[] = "/tmp/vigil-bench-delta-XXXXXX";
  fs::path work = ::mkdtemp(dir_template);
  std::mt19937_64 random{42};

  // The baseline and the new snapshot: 1 % changed, 0.25 % removed, 0.25 % added.
  auto start = clock_type::now();
  scan::snapshot baseline;
  baseline.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto key = row_key(i, random);
    auto value = row_value(key, random);
    baseline.push_back({std::move(key), std::move(value)});
  }
  scan::finalize(baseline);
  scan::snapshot current;
  current.reserve(n + n / 400);
  size_t changed = 0, removed = 0, added = 0;
  for (auto& row : baseline) {
    auto dice = random() % 10000;
    if (dice < 25) {
      ++removed;
    } else if (dice < 125) {
      ++changed;
      current.push_back({row.key, row_value(row.key, random)});
    } else {
      current.push_back(row);
    }
  }
  for (size_t i = n; i < n + n / 400; ++i, ++added) {
    auto key = row_key(i, random);
    current.push_back({key, row_value(key, random)});
  }
  scan::finalize(current);
  size_t value_bytes = 0;
  for (auto& row : current)
    value_bytes += row.value.size();
  std::printf("rows: %zu in the baseline, %zu now (%zu changed, %zu removed, %zu added); "
              "values %.0f bytes on average; generated in %.1f s\n",
              baseline.size(), current.size(), changed, removed, added,
              double(value_bytes) / current.size(), seconds_since(start));

  // The acknowledged baseline in a real store, made the way the agent makes it.
  auto store_dir = work / "store";
  double full_record = 0, full_ack = 0;
  {
    auto store = rocksdb_store::open(store_dir, agent_columns());
    if (!store)
      die("open store: " + render(store.error()));
    start = clock_type::now();
    auto first = record_delta(**store, module, baseline, 1);
    full_record = seconds_since(start);
    if (!first || !*first || !(*first)->full)
      die("first record_delta did not write a full snapshot");
    auto pending = pending_deltas(**store);
    if (!pending || pending->size() != 1)
      die("no pending full snapshot");
    start = clock_type::now();
    if (auto ok = acknowledge(**store, pending->front()); !ok)
      die("acknowledge: " + render(ok.error()));
    full_ack = seconds_since(start);
  }
  std::printf("baseline: full snapshot record_delta %.2f s, acknowledge (baseline write) %.2f s; "
              "store reopened before timing\n\n",
              full_record, full_ack);

  // Vigil: record_delta, repeated by withdrawing the pending delta between runs.
  auto store = rocksdb_store::open(store_dir, agent_columns());
  if (!store)
    die("reopen store: " + render(store.error()));
  std::vector<double> vigil_runs;
  delta_summary summary;
  for (int r = 0; r < repetitions; ++r) {
    start = clock_type::now();
    auto recorded = record_delta(**store, module, current, 1);
    vigil_runs.push_back(seconds_since(start));
    if (!recorded || !*recorded || (*recorded)->full)
      die("record_delta did not write a delta");
    summary = **recorded;
    char seq[24];
    std::snprintf(seq, sizeof seq, "%020llu", static_cast<unsigned long long>(summary.seq));
    (void) (*store)->erase("pending", module + "/" + seq, {true});
    (void) (*store)->put("cursor", module + "/next_seq", std::to_string(summary.seq), {true});
  }
  // The diff alone, both snapshots in memory (where record_delta's time goes).
  start = clock_type::now();
  auto in_memory = scan::diff_snapshots(baseline, current);
  auto differ_alone = seconds_since(start);
  protocol::delta full{module, 1, true, {}, {}};
  full.upserts.reserve(current.size());
  for (auto& row : current)
    full.upserts.push_back({row.key, row.value});
  start = clock_type::now();
  auto full_bytes = protocol::encode_delta(full).size();
  auto full_encode = seconds_since(start);
  full = {};

  // SQLite: both tables loaded first; `.timer` reports each diff query.
  write_rows(work / "base.dat", baseline, '\x1f', '\x1e');
  write_rows(work / "cur.dat", current, '\x1f', '\x1e');
  {
    std::ofstream sql{work / "diff.sql"};
    sql << "CREATE TABLE base(key TEXT, value TEXT);\nCREATE TABLE cur(key TEXT, value TEXT);\n"
        << ".mode ascii\n.import " << (work / "base.dat").string() << " base\n"
        << ".import " << (work / "cur.dat").string() << " cur\n.mode list\n";
    for (int r = 0; r < repetitions; ++r)
      sql << "DROP TABLE IF EXISTS upserts;\nDROP TABLE IF EXISTS removals;\n.timer on\n"
          << "CREATE TABLE upserts AS SELECT key, value FROM cur EXCEPT SELECT key, value FROM base;\n"
          << "CREATE TABLE removals AS SELECT key FROM base EXCEPT SELECT key FROM cur;\n"
          << ".timer off\n";
    sql << "SELECT 'counts', (SELECT count(*) FROM upserts), (SELECT count(*) FROM removals);\n";
  }
  auto sqlite_version = run_capture("sqlite3 --version");
  sqlite_version = sqlite_version.substr(0, sqlite_version.find(' '));
  auto sqlite_out = run_capture("sqlite3 :memory: < " + (work / "diff.sql").string());
  std::vector<double> sqlite_runs;
  size_t sqlite_upserts = 0, sqlite_removals = 0;
  {
    double pair = 0;
    int in_pair = 0;
    for (size_t at = 0; (at = sqlite_out.find("Run Time: real ", at)) != std::string::npos;) {
      at += 15;
      pair += std::strtod(sqlite_out.c_str() + at, nullptr);
      if (++in_pair == 2) {
        sqlite_runs.push_back(pair);
        pair = 0;
        in_pair = 0;
      }
    }
    auto counts = sqlite_out.find("counts|");
    if (counts != std::string::npos)
      std::sscanf(sqlite_out.c_str() + counts, "counts|%zu|%zu", &sqlite_upserts, &sqlite_removals);
  }
  if (sqlite_runs.empty())
    die("sqlite3 printed no timings:\n" + sqlite_out);

  // comm: the two sorted line files, one pass printing the lines only in either.
  write_rows(work / "base.txt", baseline, '\t', '\n');
  write_rows(work / "cur.txt", current, '\t', '\n');
  std::vector<double> comm_runs;
  auto comm = "LC_ALL=C comm -3 " + (work / "base.txt").string() + " "
              + (work / "cur.txt").string() + " > " + (work / "comm.out").string();
  for (int r = 0; r < repetitions; ++r) {
    start = clock_type::now();
    if (std::system(comm.c_str()) != 0)
      die("comm failed");
    comm_runs.push_back(seconds_since(start));
  }
  auto comm_lines = run_capture("wc -l < " + (work / "comm.out").string());

  auto vigil = median(vigil_runs);
  auto sqlite = median(sqlite_runs);
  auto comm_s = median(comm_runs);
  std::printf("| tool | what is timed | seconds (median of %d) | ratio to Vigil |\n"
              "|---|---|---|---|\n", repetitions);
  std::printf("| vigil record_delta | scan of the RocksDB baseline (%zu rows) + sort-merge diff + "
              "zstd JSON encode + one synced batch (pending delta, cursor) | %.3f | 1.00 |\n",
              baseline.size(), vigil);
  std::printf("| vigil snapshot_differ alone | the diff of the two in-memory snapshots, no store, "
              "no encode | %.3f | %.2f |\n", differ_alone, differ_alone / vigil);
  std::printf("| sqlite3 %s EXCEPT | `cur EXCEPT base` (key, value) + `base EXCEPT cur` (key), each "
              "into a table, in-memory db loaded beforehand (load not timed) | %.3f | %.2f |\n",
              sqlite_version.c_str(), sqlite, sqlite / vigil);
  std::printf("| comm -3 (LC_ALL=C) | one pass over the two pre-sorted `key<TAB>value` files, "
              "lines only in either written to a file (process start included) | %.3f | %.2f |\n",
              comm_s, comm_s / vigil);
  std::printf("\nruns: vigil");
  for (auto x : vigil_runs)
    std::printf(" %.3f", x);
  std::printf("; sqlite");
  for (auto x : sqlite_runs)
    std::printf(" %.3f", x);
  std::printf("; comm");
  for (auto x : comm_runs)
    std::printf(" %.3f", x);
  std::printf("\nresults: vigil %zu upserts + %zu removals (in memory: %zu + %zu); sqlite %zu + %zu; "
              "comm %llu lines (old and new line of each changed row)\n",
              summary.upserts, summary.removals, in_memory.upserts.size(),
              in_memory.removals.size(), sqlite_upserts, sqlite_removals,
              std::strtoull(comm_lines.c_str(), nullptr, 10));
  std::printf("\n| on the wire | bytes | share of full |\n|---|---|---|\n");
  std::printf("| full snapshot, encode_delta of %zu rows (encoded in %.2f s) | %zu | 100 %% |\n",
              current.size(), full_encode, full_bytes);
  std::printf("| pending delta, %zu upserts + %zu removals | %zu | %.2f %% |\n", summary.upserts,
              summary.removals, summary.bytes, 100.0 * summary.bytes / full_bytes);
  bool fast = vigil <= 2.0, vs_sqlite = sqlite >= 3 * vigil,
       small = summary.bytes * 50 <= full_bytes;
  std::printf("\nbudgets: record_delta <= 2 s: %s; >= 3x faster than SQLite (%.1fx): %s; "
              "delta <= 2 %% of full: %s\n",
              fast ? "MET" : "NOT MET", sqlite / vigil, vs_sqlite ? "MET" : "NOT MET",
              small ? "MET" : "NOT MET");
  store->reset();
  fs::remove_all(work);
  return fast && vs_sqlite && small ? 0 : 1;
}
