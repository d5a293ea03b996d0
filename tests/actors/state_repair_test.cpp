// The agent's check of its stored state at start (issue 15, defect 9): sound
// values are left alone; each corrupt one is rebuilt from its source of truth
// and named in one line.

#include "actors/state_repair.hpp"

#include <doctest/doctest.h>

#include "actors/delta.hpp"
#include "actors/delta_store.hpp"
#include "actors/identity_logic.hpp"
#include "scan/snapshot.hpp"
#include "storage/memory_store.hpp"

using namespace vigil;

namespace {

const std::string garbage = std::string{"\x01\xff{garbled", 10};

/// A store as a synced agent leaves it: a profile, a manifest, Vulnerability
/// acknowledged once and a second delta pending, check-in and scan times, an
/// identity.
std::unique_ptr<kv_store> synced_store() {
  auto owned = std::make_unique<memory_store>(agent_columns());
  auto& store = *owned;
  scan::snapshot rows{{"pkg/a", R"({"version":"1"})"}, {"pkg/b", R"({"version":"2"})"}};
  auto first = record_delta(store, "Vulnerability", rows, 3);
  REQUIRE(first);
  auto pending = pending_deltas(store);
  REQUIRE(pending);
  REQUIRE(acknowledge(store, pending->front()));
  rows[1].value = R"({"version":"3"})";
  REQUIRE(record_delta(store, "Vulnerability", rows, 3));
  REQUIRE(store.put("meta", scan_keys::last_end("Vulnerability"), "1764000000"));
  REQUIRE(store.put("meta", "checkin.last", "1764000001"));
  REQUIRE(store.put("meta", identity_keys::fingerprint, std::string(64, 'a')));
  REQUIRE(store.put("meta", identity_keys::token, "v1:c2VhbGVk"));
  REQUIRE(store.put("meta", identity_keys::token_host, "{11111111-2222-3333-4444-555555555555}"));
  REQUIRE(store.put("meta", "order.o-1", R"({"state":"done","type":"scan"})"));
  REQUIRE(store.put("meta", "someone.elses", garbage)); // not ours: left alone
  return owned;
}

size_t count(kv_store& store, const std::string& column, const std::string& prefix = {}) {
  size_t n = 0;
  REQUIRE(store.scan(column, prefix, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  }));
  return n;
}

} // namespace

TEST_CASE("state repair: a sound store is left as it is") {
  auto owned = synced_store();
  auto& store = *owned;
  auto repairs = repair_stored_state(store);
  REQUIRE(repairs);
  CHECK(repairs->empty());
  CHECK(count(store, "pending") == 1);
  CHECK(count(store, "baseline") == 2);
  CHECK(count(store, "meta") == 7);
}

TEST_CASE("state repair: a garbled cursor clears the module's delta state and its last scan time") {
  auto owned = synced_store();
  auto& store = *owned;
  REQUIRE(store.put("cursor", "Vulnerability/next_seq", garbage));
  REQUIRE(store.put("cursor", "PolicyCompliance/acked_seq", "4")); // another module: kept
  auto repairs = repair_stored_state(store);
  REQUIRE(repairs);
  REQUIRE(repairs->size() == 1);
  CHECK(repairs->front().find("delta state of Vulnerability") != std::string::npos);
  CHECK(repairs->front().find("full snapshot") != std::string::npos);
  CHECK(count(store, "cursor", "Vulnerability/") == 0);
  CHECK(count(store, "pending", "Vulnerability/") == 0);
  CHECK(count(store, "baseline", "Vulnerability/") == 0);
  CHECK_FALSE(*store.get("meta", scan_keys::last_end("Vulnerability")));
  CHECK(count(store, "cursor", "PolicyCompliance/") == 1);
  // The next delta is a full snapshot, numbered from the start: the
  // platform's expected_seq renumbers it.
  auto next = record_delta(store, "Vulnerability", {{"pkg/a", "{}"}}, 3);
  REQUIRE(next);
  REQUIRE(*next);
  CHECK((*next)->full);
  // Checked again, the store is sound.
  auto again = repair_stored_state(store);
  REQUIRE(again);
  CHECK(again->empty());
}

TEST_CASE("state repair: a pending delta that does not decode, and a baseline row that is not JSON") {
  SUBCASE("pending") {
    auto owned = synced_store();
  auto& store = *owned;
    auto pending = pending_deltas(store);
    REQUIRE(pending);
    REQUIRE(store.put("pending", "Vulnerability/" + std::string(19, '0') + "2", "D" + garbage));
    auto repairs = repair_stored_state(store);
    REQUIRE(repairs);
    CHECK(repairs->size() == 1);
    CHECK(count(store, "pending") == 0);
  }
  SUBCASE("baseline") {
    auto owned = synced_store();
  auto& store = *owned;
    REQUIRE(store.put("baseline", "Vulnerability/pkg/a", garbage));
    auto repairs = repair_stored_state(store);
    REQUIRE(repairs);
    CHECK(repairs->size() == 1);
    CHECK(count(store, "baseline") == 0);
  }
}

TEST_CASE("state repair: garbled meta values are erased, each named with its consequence") {
  auto owned = synced_store();
  auto& store = *owned;
  for (std::string key : {"checkin.last", identity_keys::fingerprint, identity_keys::token,
                          "order.o-1", "scan.Vulnerability.last_end"})
    REQUIRE(store.put("meta", key, garbage));
  auto repairs = repair_stored_state(store);
  REQUIRE(repairs);
  CHECK(repairs->size() == 5);
  for (auto& line : *repairs)
    CHECK(line.find("was corrupt: erased; ") != std::string::npos);
  CHECK_FALSE(*store.get("meta", identity_keys::token));
  CHECK(*store.get("meta", identity_keys::token_host)); // sound: kept
  CHECK(**store.get("meta", "someone.elses") == garbage);
  // The garbage itself never reaches a repair line (it may be anything).
  for (auto& line : *repairs)
    CHECK(line.find("garbled") == std::string::npos);
}

TEST_CASE("state repair: a garbled profile or manifest is erased, so it is fetched again") {
  auto owned = synced_store();
  auto& store = *owned;
  REQUIRE(store.put("config", "profile", garbage));
  REQUIRE(store.put("manifest", "Vulnerability", "{\"module\":"));
  auto repairs = repair_stored_state(store);
  REQUIRE(repairs);
  REQUIRE(repairs->size() == 2);
  CHECK(repairs->at(0).find("profile") != std::string::npos);
  CHECK(repairs->at(1).find("manifest of Vulnerability") != std::string::npos);
  CHECK_FALSE(*store.get("config", "profile"));
  CHECK_FALSE(*store.get("manifest", "Vulnerability"));
}
