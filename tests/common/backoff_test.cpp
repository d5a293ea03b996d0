#include "common/backoff.hpp"

#include <doctest/doctest.h>

using namespace vigil;
using namespace std::chrono_literals;

TEST_CASE("backoff: doubles from the initial delay up to the cap") {
  backoff_policy policy{1000ms, 60'000ms, 0.0};
  CHECK(backoff_delay(policy, 0, 0) == 1000ms);
  CHECK(backoff_delay(policy, 1, 0) == 2000ms);
  CHECK(backoff_delay(policy, 5, 0) == 32'000ms);
  CHECK(backoff_delay(policy, 6, 0) == 60'000ms);
  CHECK(backoff_delay(policy, 1000, 0) == 60'000ms);
}

TEST_CASE("backoff: jitter spreads the delay within its bounds") {
  backoff_policy policy{1000ms, 60'000ms, 0.2};
  CHECK(backoff_delay(policy, 0, 0) == 800ms);
  CHECK(backoff_delay(policy, 0, UINT64_MAX) >= 1199ms);
  CHECK(backoff_delay(policy, 0, UINT64_MAX / 2) == 1000ms);
  for (uint64_t r = 1; r < UINT64_MAX / 3; r = r * 7 + 13) {
    auto d = backoff_delay(policy, 10, r);
    CHECK(d >= 48'000ms);
    CHECK(d <= 72'000ms);
  }
}
