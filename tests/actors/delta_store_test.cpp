// The agent's baseline / pending / cursor bookkeeping (SPEC §9) on a real
// RocksDB store, and the uploader's decision.

#include "actors/delta_store.hpp"

#include <doctest/doctest.h>

#include "actors/upload_logic.hpp"
#include "common/error.hpp"
#include "protocol/delta_codec.hpp"
#include "storage/rocksdb_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

struct store_fixture {
  test::temp_dir dir;
  std::shared_ptr<kv_store> store;
  store_fixture() {
    auto opened = rocksdb_store::open(dir.path() / "store", agent_columns());
    REQUIRE(opened);
    store = std::move(*opened);
  }
  protocol::delta decoded(const pending_delta& d) {
    auto out = protocol::decode_delta(d.bytes, 1 << 30);
    REQUIRE(out);
    return *out;
  }
  pending_delta only_pending() {
    auto all = pending_deltas(*store);
    REQUIRE(all);
    REQUIRE(all->size() == 1);
    return all->front();
  }
};

} // namespace

TEST_CASE("delta store: first a full snapshot, then only what changed") {
  store_fixture f;
  scan::snapshot first{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  auto s1 = record_delta(*f.store, "Vulnerability", first, 7);
  REQUIRE(s1);
  REQUIRE(*s1);
  CHECK((*s1)->seq == 1);
  CHECK((*s1)->full);
  auto p1 = f.only_pending();
  CHECK(p1.full);
  CHECK(f.decoded(p1).upserts.size() == 3);
  // While pending, no other delta of the module is recorded.
  auto refused = record_delta(*f.store, "Vulnerability", first, 7);
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == ec::busy);
  REQUIRE(acknowledge(*f.store, p1));
  CHECK(*baseline_rows(*f.store, "Vulnerability") == first);
  CHECK(pending_deltas(*f.store)->empty());
  // Unchanged: nothing pending, but the bookkeeping batch is written.
  write_batch also;
  also.put("meta", "scan.Vulnerability.last_end", "123");
  auto same = record_delta(*f.store, "Vulnerability", first, 7, also);
  REQUIRE(same);
  CHECK_FALSE(*same);
  CHECK(**f.store->get("meta", "scan.Vulnerability.last_end") == "123");
  // One changed, one removed, one added.
  scan::snapshot second{{"a", "1"}, {"b", "two"}, {"d", "4"}};
  auto s2 = record_delta(*f.store, "Vulnerability", second, 7);
  REQUIRE(*s2);
  CHECK((*s2)->seq == 2);
  CHECK_FALSE((*s2)->full);
  auto p2 = f.only_pending();
  auto d2 = f.decoded(p2);
  CHECK(d2.upserts == std::vector<protocol::delta_row>{{"b", "two"}, {"d", "4"}});
  CHECK(d2.removals == std::vector<std::string>{"c"});
  REQUIRE(acknowledge(*f.store, p2));
  CHECK(*baseline_rows(*f.store, "Vulnerability") == second);
}

TEST_CASE("delta store: a new manifest version or a request sends a full snapshot") {
  store_fixture f;
  scan::snapshot rows{{"a", "1"}};
  REQUIRE(*record_delta(*f.store, "PolicyCompliance", rows, 1));
  REQUIRE(acknowledge(*f.store, f.only_pending()));
  auto bumped = record_delta(*f.store, "PolicyCompliance", rows, 2);
  REQUIRE(*bumped);
  CHECK((*bumped)->full);
  CHECK((*bumped)->seq == 2);
  REQUIRE(acknowledge(*f.store, f.only_pending()));
  REQUIRE(request_full(*f.store, "PolicyCompliance"));
  auto requested = record_delta(*f.store, "PolicyCompliance", rows, 2);
  REQUIRE(*requested);
  CHECK((*requested)->full);
  REQUIRE(acknowledge(*f.store, f.only_pending()));
  CHECK_FALSE(*record_delta(*f.store, "PolicyCompliance", rows, 2)); // the request was consumed
}

TEST_CASE("delta store: a full snapshot's acknowledgement replaces the whole baseline") {
  store_fixture f;
  REQUIRE(*record_delta(*f.store, "UDC", {{"old", "1"}, {"keep", "1"}}, 1));
  REQUIRE(acknowledge(*f.store, f.only_pending()));
  REQUIRE(*record_delta(*f.store, "UDC", {{"keep", "2"}, {"new", "1"}}, 2)); // full: version
  REQUIRE(acknowledge(*f.store, f.only_pending()));
  CHECK(*baseline_rows(*f.store, "UDC") == scan::snapshot{{"keep", "2"}, {"new", "1"}});
}

TEST_CASE("delta store: renumbering keeps every row and the platform's seq") {
  store_fixture f;
  REQUIRE(*record_delta(*f.store, "SCA", {{"a", "1"}, {"b", "1"}}, 1));
  REQUIRE(acknowledge(*f.store, f.only_pending()));
  REQUIRE(*record_delta(*f.store, "SCA", {{"a", "2"}, {"c", "1"}}, 1)); // seq 2, a delta
  auto p = f.only_pending();
  CHECK_FALSE(p.full);
  auto full = renumber_as_full(*f.store, p, 41); // the platform expects 41
  REQUIRE(full);
  auto now = f.only_pending();
  CHECK(now.seq == 41);
  CHECK(now.full);
  auto d = f.decoded(now);
  CHECK(d.seq == 41);
  CHECK(d.full);
  CHECK(d.upserts == std::vector<protocol::delta_row>{{"a", "2"}, {"c", "1"}});
  REQUIRE(acknowledge(*f.store, now));
  CHECK(*baseline_rows(*f.store, "SCA") == scan::snapshot{{"a", "2"}, {"c", "1"}});
  auto next = record_delta(*f.store, "SCA", {{"a", "3"}, {"c", "1"}}, 1);
  CHECK((*next)->seq == 42);
}

TEST_CASE("delta store: modules keep separate baselines and sequences") {
  store_fixture f;
  REQUIRE(*record_delta(*f.store, "Inventory", {{"x", "1"}}, 1));
  REQUIRE(*record_delta(*f.store, "SCA", {{"x", "2"}}, 1));
  auto all = pending_deltas(*f.store);
  REQUIRE(all->size() == 2);
  CHECK(all->at(0).module == "Inventory");
  CHECK(all->at(1).module == "SCA");
  CHECK(all->at(0).seq == 1);
  CHECK(all->at(1).seq == 1);
  CHECK(*has_pending_delta(*f.store, "Inventory"));
  CHECK_FALSE(*has_pending_delta(*f.store, "UDC"));
}

TEST_CASE("upload decision") {
  CHECK(decide_upload(5, false, 5) == upload_step::send);
  CHECK(decide_upload(5, true, 5) == upload_step::send);
  CHECK(decide_upload(5, false, 6) == upload_step::acknowledge); // a lost answer
  CHECK(decide_upload(5, true, 6) == upload_step::renumber);     // can't tell: resend all
  CHECK(decide_upload(1, true, 57) == upload_step::renumber);    // a reinstalled agent
  CHECK(decide_upload(9, false, 1) == upload_step::renumber);    // the platform lost data
}
