#pragma once
// Waiting on a condition with a deadline: how integration tests (and the
// Windows host tests, whose other support is not portable) wait, never on a
// fixed sleep.

#include <chrono>
#include <functional>

namespace vigil::test {

/// How many times slower this build's programs run than a plain build's: 1,
/// or the factor a sanitized build gives (cmake/vigil.cmake's
/// VIGIL_TEST_TIME_SCALE: ASan and UBSan 3, ThreadSanitizer 5). A deadline
/// written for the plain build holds under the sanitizers once scaled.
int time_scale();

/// `duration` times `time_scale()`: for deadlines a test keeps itself, and for
/// the random moments a test picks within the agent's work (a kill "during a
/// scan" comes later when scans take longer).
template <class Rep, class Period>
std::chrono::duration<Rep, Period> scaled(std::chrono::duration<Rep, Period> duration) {
  return duration * time_scale();
}

/// Polls `condition` every few milliseconds until it holds or `deadline`
/// (scaled: `scaled`) passes; returns whether it held. Integration tests wait
/// on conditions, never on fixed sleeps.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline);

} // namespace vigil::test
