// The CPU clock the scan's CPU limit paces by (host/thread_cpu.hpp), on Linux
// and under Wine: it counts the calling thread's work and no other thread's.
#include "host/thread_cpu.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// Spins until this thread's CPU clock moved by `amount` (or 20 s of wall
/// time passed); returns how far it moved.
std::chrono::nanoseconds burn(std::chrono::nanoseconds amount) {
  auto start = thread_cpu_time();
  auto deadline = std::chrono::steady_clock::now() + 20s;
  volatile unsigned sink = 0;
  while (thread_cpu_time() - start < amount && std::chrono::steady_clock::now() < deadline)
    for (unsigned i = 0; i < 10000; ++i)
      sink = sink + i;
  return thread_cpu_time() - start;
}

} // namespace

TEST_CASE("thread CPU time: grows with the thread's own work, not with another thread's") {
  CHECK(burn(100ms) >= 100ms);
  auto before = thread_cpu_time();
  std::chrono::nanoseconds other{};
  std::thread worker{[&] { other = burn(300ms); }};
  worker.join(); // this thread waits without using its CPU
  auto mine = thread_cpu_time() - before;
  CHECK(other >= 300ms);
  CHECK_MESSAGE(mine < 100ms, "this thread's clock moved by the other's work: "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(mine)
                                     .count()
                                << " ms");
}
