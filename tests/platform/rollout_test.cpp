// The pure parts of the platform's self-patching: the rollout hash, the halt
// rule, the offer decision, byte ranges and validity durations.

#include "platform/rollout.hpp"

#include <cstdio>
#include <cstdlib>
#include <doctest/doctest.h>
#include <random>
#include <string>

#include "common/error.hpp"
#include "platform/byte_range.hpp"
#include "platform/duration.hpp"
#include "tests/support/seed.hpp"

using namespace vigil;
using namespace vigil::platform;

namespace {

std::string random_guid(std::mt19937_64& rng) {
  char buf[40];
  auto a = rng(), b = rng();
  std::snprintf(buf, sizeof buf, "{%08X-%04X-4%03X-%04X-%012llX}",
                static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(a & 0xfff), static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

} // namespace

TEST_CASE("rollout: the bucket is SHA-256's first 8 bytes, big-endian, mod 100") {
  // Computed independently: int.from_bytes(sha256(id)[:8], "big") % 100.
  CHECK(rollout_bucket("{11111111-2222-4333-8444-555555555555}") == 1);
  CHECK(rollout_bucket("{66666666-7777-4888-9999-AAAAAAAAAAAA}") == 33);
  CHECK(in_rollout("{66666666-7777-4888-9999-AAAAAAAAAAAA}", 34));
  CHECK_FALSE(in_rollout("{66666666-7777-4888-9999-AAAAAAAAAAAA}", 33));
}

TEST_CASE("rollout: RolloutPercent=40 takes about 40 % of random hosts, stably") {
  std::mt19937_64 rng{test::test_seed("host ids")};
  int in = 0;
  for (int i = 0; i < 1000; ++i) {
    auto host = random_guid(rng);
    bool chosen = in_rollout(host, 40);
    in += chosen ? 1 : 0;
    CHECK(in_rollout(host, 40) == chosen); // stable across check-ins
    if (chosen)
      CHECK(in_rollout(host, 60)); // raising the percentage keeps the canaries
    CHECK_FALSE(in_rollout(host, 0));
    CHECK(in_rollout(host, 100));
  }
  CHECK(in >= 300);
  CHECK(in <= 500);
}

TEST_CASE("rollout: halts at 3 rollbacks that are at least half of the tries") {
  halt_rule rule;
  CHECK_FALSE(should_halt({2, 0, 2}, rule)); // too few rollbacks, however bad
  CHECK(should_halt({3, 0, 3}, rule));
  CHECK(should_halt({5, 2, 3}, rule));       // 3 of 5 canaries
  CHECK(should_halt({6, 3, 3}, rule));       // exactly 50 %
  CHECK_FALSE(should_halt({7, 4, 3}, rule)); // 42 %
  CHECK(should_halt({7, 4, 3}, halt_rule{3, 40}));
  CHECK(should_halt({1, 0, 1}, halt_rule{1, 100}));
  CHECK(counts_as_tried("installing"));
  CHECK(counts_as_tried("succeeded"));
  CHECK(counts_as_tried("rolled_back"));
  CHECK_FALSE(counts_as_tried("downloading"));
  CHECK_FALSE(counts_as_tried("refused"));
  CHECK_FALSE(counts_as_tried("none"));
}

TEST_CASE("rollout: the offer decision checks in order") {
  const std::string host = "{11111111-2222-4333-8444-555555555555}"; // bucket 1
  offer_inputs in;
  in.host_id = host;
  in.agent_version = "0.1.0";
  CHECK(decide_offer(in) == offer_decision::no_target);
  in.target_version = "0.2.0";
  CHECK(decide_offer(in) == offer_decision::no_release);
  in.release_exists = true;
  in.release_serial = 4;
  CHECK(decide_offer(in) == offer_decision::offer);
  in.rollout_percent = 1;
  CHECK(decide_offer(in) == offer_decision::not_in_rollout);
  in.rollout_percent = 2;
  in.rolled_back_serial = 4;
  CHECK(decide_offer(in) == offer_decision::rolled_back);
  in.release_serial = 5; // newer metadata: tried again
  CHECK(decide_offer(in) == offer_decision::offer);
  in.release_halted = true;
  CHECK(decide_offer(in) == offer_decision::halted);
  in.agent_version = "0.2.0";
  CHECK(decide_offer(in) == offer_decision::current);
  CHECK(to_string(offer_decision::not_in_rollout) == "not_in_rollout");
}

TEST_CASE("byte ranges: N-, N-M, -S, and what is ignored or unsatisfiable") {
  using kind = byte_range::kind;
  auto r = parse_byte_range("bytes=100-", 1000);
  CHECK(r.what == kind::partial);
  CHECK(r.first == 100);
  CHECK(r.last == 999);
  r = parse_byte_range("bytes=0-9", 1000);
  CHECK((r.what == kind::partial && r.first == 0 && r.last == 9));
  r = parse_byte_range("bytes=990-5000", 1000); // cut to the end
  CHECK((r.what == kind::partial && r.first == 990 && r.last == 999));
  r = parse_byte_range("bytes=-10", 1000);
  CHECK((r.what == kind::partial && r.first == 990 && r.last == 999));
  r = parse_byte_range("bytes=-5000", 1000);
  CHECK((r.what == kind::partial && r.first == 0 && r.last == 999));
  CHECK(parse_byte_range("bytes=1000-", 1000).what == kind::unsatisfiable);
  CHECK(parse_byte_range("bytes=5000-6000", 1000).what == kind::unsatisfiable);
  CHECK(parse_byte_range("bytes=-0", 1000).what == kind::unsatisfiable);
  CHECK(parse_byte_range("", 1000).what == kind::whole);
  CHECK(parse_byte_range("items=0-5", 1000).what == kind::whole);
  CHECK(parse_byte_range("bytes=9-3", 1000).what == kind::whole);
  CHECK(parse_byte_range("bytes=0-1,5-6", 1000).what == kind::whole);
  CHECK(parse_byte_range("bytes=x-", 1000).what == kind::whole);
  CHECK(parse_byte_range("bytes=18446744073709551616-", 1000).what == kind::whole);
}

TEST_CASE("durations: 30d, 24h, 90m, 3600s, 60") {
  CHECK(*parse_duration("30d") == 30 * 86400);
  CHECK(*parse_duration("24h") == 86400);
  CHECK(*parse_duration("90m") == 5400);
  CHECK(*parse_duration("3600s") == 3600);
  CHECK(*parse_duration("60") == 60);
  for (auto bad : {"", "d", "0d", "-1d", "1w", "1.5h", " 1d", "99999999999d"}) {
    CAPTURE(bad);
    auto parsed = parse_duration(bad);
    REQUIRE_FALSE(parsed);
    CHECK(code_of(parsed.error()) == ec::invalid_argument);
  }
}
