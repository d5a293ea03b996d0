// Kills a process writing batches to a rocksdb_store at random moments and checks
// that each restart finds whole batches, in order, with no gap, and that writing
// resumes where it stopped.

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "storage/rocksdb_store.hpp"
#include "tests/storage/crash_layout.hpp"
#include "tests/support/process.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
namespace layout = vigil::test::crash_layout;
using namespace std::chrono_literals;
using namespace vigil;

namespace {

/// What a reopened store holds, and what is wrong with it.
struct inspection {
  std::vector<std::string> tags;     ///< the run tag of batch n, for every batch present
  std::vector<std::string> problems; ///< empty when the store is consistent
};

/// Checks the crash_layout invariants: the batch markers in "meta" are 0..k-1 with
/// no gap; "pending" holds exactly the items of those batches, carrying their
/// batch's tag; "next" is k; "cursor" holds exactly the scratch key of batch k-1.
inspection inspect(kv_store& store) {
  inspection out;
  auto problem = [&](std::string what) {
    out.problems.push_back(std::move(what));
    return false;
  };
  auto res = store.scan("meta", "batch/", [&](std::string_view key, std::string_view tag) {
    auto expected = layout::batch_key(out.tags.size());
    if (key != expected)
      return problem("meta: expected " + expected + ", found " + std::string{key});
    out.tags.emplace_back(tag);
    return true;
  });
  REQUIRE_MESSAGE(res, render(res.error()));
  const uint64_t k = out.tags.size();

  auto next = store.get("meta", layout::next_key);
  REQUIRE_MESSAGE(next, render(next.error()));
  auto expected_next = k == 0 ? std::optional<std::string>{} : std::to_string(k);
  if (*next != expected_next)
    problem("meta: next is " + next->value_or("absent") + " with " + std::to_string(k)
            + " batches");

  uint64_t items = 0;
  res = store.scan("pending", "", [&](std::string_view key, std::string_view tag) {
    auto n = items / layout::items_per_batch;
    auto expected = layout::pending_key(n, static_cast<int>(items % layout::items_per_batch));
    if (n >= k)
      return problem("pending: " + std::string{key} + " belongs to no complete batch");
    if (key != expected)
      return problem("pending: expected " + expected + ", found " + std::string{key});
    if (tag != out.tags[n])
      return problem("pending: " + expected + " has tag " + std::string{tag} + ", batch has "
                     + out.tags[n]);
    ++items;
    return true;
  });
  REQUIRE_MESSAGE(res, render(res.error()));
  if (out.problems.empty() && items != k * layout::items_per_batch)
    problem("pending: " + std::to_string(items) + " items for " + std::to_string(k)
            + " batches");

  std::vector<std::string> scratch;
  res = store.scan("cursor", "scratch/", [&](std::string_view key, std::string_view) {
    scratch.emplace_back(key);
    return true;
  });
  REQUIRE_MESSAGE(res, render(res.error()));
  auto expected_scratch = k == 0 ? std::vector<std::string>{}
                                 : std::vector<std::string>{layout::scratch_key(k - 1)};
  if (scratch != expected_scratch) {
    std::string found;
    for (const auto& key : scratch)
      found += " " + key;
    problem("cursor: scratch keys [" + found + " ], expected "
            + (k == 0 ? std::string{"none"} : layout::scratch_key(k - 1)));
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += line + "\n";
  return out;
}

} // namespace

TEST_CASE("rocksdb_store: SIGKILL at random moments leaves whole batches, in order") {
  constexpr int kills = 20;
  test::temp_dir tmp;
  const auto dir = tmp / "store";
  const auto log = tmp / "writer.log";
  const auto writer = test::test_program("storage_crash_writer");
  REQUIRE_MESSAGE(fs::exists(writer), writer.string());
  std::mt19937 rng{test::test_seed("kill moments")};
  std::uniform_int_distribution<int> delay_ms{20, 300};

  std::vector<std::string> tags; // batch n's run tag, as of the last inspection
  for (int run = 0; run < kills; ++run) {
    CAPTURE(run);
    const auto ready = tmp / ("ready-" + std::to_string(run));
    const auto tag = "run-" + std::to_string(run);
    {
      test::child_process child{{writer.string(), dir.string(), ready.string(), tag}, log};
      // The writer creates `ready`, holding the number of its first batch, once
      // that batch is written.
      auto started = test::wait_until(
        [&] {
          auto text = test::read_file(ready);
          return (!text.empty() && text.back() == '\n') || child.exited();
        },
        30s);
      REQUIRE_MESSAGE(started, "the writer did not start writing within 30 s");
      // The one deliberate wait: the kill has to land at a random point of writing.
      std::this_thread::sleep_for(std::chrono::milliseconds{delay_ms(rng)});
      child.signal(SIGKILL);
      // 137 = killed by us; anything else means the writer failed by itself.
      REQUIRE_MESSAGE(child.wait() == 128 + SIGKILL, test::read_file(log));
    }
    auto store = rocksdb_store::open(dir, agent_columns());
    REQUIRE_MESSAGE(store, render(store.error()));
    auto found = inspect(**store);
    REQUIRE_MESSAGE(found.problems.empty(), joined(found.problems));
    // The writer resumed right after the last batch the previous run left...
    CHECK(test::read_file(ready) == std::to_string(tags.size()) + "\n");
    // ...its batches (at least the first, written before `ready`) survived...
    REQUIRE(found.tags.size() > tags.size());
    // ...and it rewrote none of the earlier ones.
    CHECK(std::equal(tags.begin(), tags.end(), found.tags.begin()));
    CHECK(std::all_of(found.tags.begin() + static_cast<ptrdiff_t>(tags.size()),
                      found.tags.end(), [&](const std::string& t) { return t == tag; }));
    tags = std::move(found.tags);
  }
  MESSAGE(kills, " kills, ", tags.size(), " batches survived");
}
