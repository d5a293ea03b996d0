#pragma once

#include <chrono>

namespace vigil {

/// The CPU time (user + system) the calling thread has used: what the CPU
/// limit paces a scan by (SPEC §9), per thread so that the agent's other
/// threads never count against a scan. POSIX: CLOCK_THREAD_CPUTIME_ID
/// (host/posix/thread_cpu.cpp); Windows: GetThreadTimes
/// (host/windows/thread_cpu.cpp), whose clock advances in scheduler ticks
/// (about 15.6 ms), which the limit's averaging over a scan absorbs.
std::chrono::nanoseconds thread_cpu_time() noexcept;

} // namespace vigil
