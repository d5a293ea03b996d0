#include "tests/support/wait.hpp"

#include <thread>

namespace vigil::test {

// The build's factor (tests/CMakeLists.txt); 1 where none is given.
#ifndef VIGIL_TEST_TIME_SCALE
#  define VIGIL_TEST_TIME_SCALE 1
#endif

int time_scale() {
  return VIGIL_TEST_TIME_SCALE;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + scaled(deadline);
  for (;;) {
    if (condition())
      return true;
    if (std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

} // namespace vigil::test
