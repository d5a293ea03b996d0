#pragma once
// Waiting on a condition with a deadline: how integration tests (and the
// Windows host tests, whose other support is not portable) wait, never on a
// fixed sleep.

#include <chrono>
#include <functional>

namespace vigil::test {

/// Polls `condition` every few milliseconds until it holds or `deadline`
/// passes; returns whether it held. Integration tests wait on conditions, never
/// on fixed sleeps.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline);

} // namespace vigil::test
