#include "host/thread_cpu.hpp"

#include <windows.h>

namespace vigil {

namespace {

/// A FILETIME span (100 ns units) as nanoseconds.
std::chrono::nanoseconds span_of(const FILETIME& t) noexcept {
  ULARGE_INTEGER v;
  v.LowPart = t.dwLowDateTime;
  v.HighPart = t.dwHighDateTime;
  return std::chrono::nanoseconds{static_cast<int64_t>(v.QuadPart) * 100};
}

} // namespace

std::chrono::nanoseconds thread_cpu_time() noexcept {
  FILETIME created{}, exited{}, kernel{}, user{};
  if (!::GetThreadTimes(::GetCurrentThread(), &created, &exited, &kernel, &user))
    return std::chrono::nanoseconds{0};
  return span_of(kernel) + span_of(user);
}

} // namespace vigil
