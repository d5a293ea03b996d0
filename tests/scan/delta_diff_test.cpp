// The sort-merge diff of a snapshot against a baseline (SPEC §9).

#include "scan/delta_diff.hpp"

#include <doctest/doctest.h>

using namespace vigil;
using namespace vigil::scan;

TEST_CASE("delta diff: added, changed, removed and unchanged rows") {
  snapshot baseline{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"e", "5"}};
  snapshot current{{"a", "1"}, {"b", "two"}, {"d", "4"}, {"e", "5"}, {"f", "6"}};
  auto changes = diff_snapshots(baseline, current);
  CHECK(changes.upserts
        == std::vector<protocol::delta_row>{{"b", "two"}, {"d", "4"}, {"f", "6"}});
  CHECK(changes.removals == std::vector<std::string>{"c"});
  CHECK(changes.added == 2);
  CHECK(changes.changed == 1);
  CHECK_FALSE(changes.empty());
}

TEST_CASE("delta diff: edge shapes") {
  snapshot rows{{"a", "1"}, {"b", "2"}};
  CHECK(diff_snapshots(rows, rows).empty());
  auto from_nothing = diff_snapshots({}, rows);
  CHECK(from_nothing.upserts.size() == 2);
  CHECK(from_nothing.added == 2);
  auto to_nothing = diff_snapshots(rows, {});
  CHECK(to_nothing.removals == std::vector<std::string>{"a", "b"});
  CHECK(to_nothing.upserts.empty());
  // An empty value differs from a missing row, and a value that only grew.
  auto subtle = diff_snapshots({{"a", ""}, {"b", "x"}}, {{"a", ""}, {"b", "xx"}, {"c", ""}});
  CHECK(subtle.upserts == std::vector<protocol::delta_row>{{"b", "xx"}, {"c", ""}});
}

TEST_CASE("delta diff: keys compare bytewise, as the store orders them") {
  // '/' (0x2f) sorts before 'a'; upper case before lower case; UTF-8 after ASCII.
  snapshot baseline{{"file//etc", "1"}, {"file/a", "1"}};
  snapshot current{{"File", "0"}, {"file//etc", "1"}, {"file/a", "2"}, {"file/\xc3\xa9", "3"}};
  auto changes = diff_snapshots(baseline, current);
  CHECK(changes.upserts
        == std::vector<protocol::delta_row>{{"File", "0"}, {"file/a", "2"}, {"file/\xc3\xa9", "3"}});
  CHECK(changes.removals.empty());
}

TEST_CASE("delta diff: applying the changes to the baseline gives the snapshot") {
  snapshot baseline, current;
  for (int i = 0; i < 1000; ++i) {
    auto key = "k" + std::to_string(i * 7919 % 1000);
    if (i % 10 != 3) // 10 % removed
      baseline.push_back({key, std::to_string(i)});
    if (i % 10 != 5) // 10 % added
      current.push_back({key, std::to_string(i % 13 == 0 ? -i : i)}); // some changed
  }
  finalize(baseline);
  finalize(current);
  auto changes = diff_snapshots(baseline, current);
  CHECK(changes.removals.size() == 100);
  CHECK(changes.added == 100);
  CHECK(apply_changes(baseline, changes.upserts, changes.removals) == current);
}
