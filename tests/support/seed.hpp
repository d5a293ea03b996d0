#pragma once

// Test support: the seed of a test's random choices (the moments of SIGKILLs,
// random data), logged so that a failing run can be replayed.

#include <cstdint>
#include <string_view>

namespace vigil::test {

/// The environment variable that replays a run: `VIGIL_TEST_SEED=N ctest -R NAME`.
inline constexpr const char* seed_variable = "VIGIL_TEST_SEED";

/// A seed for `what` (a few words: "kill moments"): the value of
/// VIGIL_TEST_SEED when it is set (a decimal number; anything else throws),
/// else a fresh one from std::random_device. Logged as a doctest MESSAGE of
/// the running test case, with the variable to set to replay it. Seed a
/// std::mt19937 or std::mt19937_64 with it; the value fits 32 bits when it
/// is fresh, so both engines replay it alike.
uint64_t test_seed(std::string_view what);

} // namespace vigil::test
