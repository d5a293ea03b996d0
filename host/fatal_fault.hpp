#pragma once

// What ends the agent without a word otherwise: a crash (an access violation,
// SIGSEGV, an illegal instruction...) or a C++ exception nobody caught. The
// service manager restarts the agent, but the administrator reading
// Agent.log, and the health check, would see only a gap. With
// `report_fatal_faults`, the process writes one line saying what ended it
// (and where: the address and its offset in the program, for addr2line or
// winedbg) to the log file, then ends as it would have (the same exit
// status or exception code, so the service manager's recovery still sees a
// failure).

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace vigil {

/// From now on, a fatal fault or an uncaught exception appends one line to
/// `log_file` (opened now and kept open: the fault may come when nothing can
/// be opened or allocated) before the process ends. The line has the log
/// files' layout (`[time] [Agent] [critical] [thread] ...`, UTC). POSIX:
/// SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT (not a stack overflow: the
/// handler would need a stack of its own on every thread); Windows: the
/// unhandled-exception filter (a stack overflow too). Not in builds with a
/// sanitizer, whose own reports say more. Call once, early.
void report_fatal_faults(const std::filesystem::path& log_file);

namespace detail {

// The per-system parts (host/posix, host/windows).

/// Appends `length` bytes of `text` to the report's file: no allocation, no
/// lock. Nothing before `report_fatal_faults`.
void write_fault_line(const char* text, size_t length) noexcept;

/// The calling thread's number as the log files show it.
unsigned long fault_thread_number() noexcept;

// The portable parts (host/fatal_fault.cpp).

/// Text built without allocating, cut at its capacity: what a signal handler
/// or an exception filter says.
struct fault_text {
  char data[400];
  size_t size = 0;
  /// Appends `text`, as much as fits.
  void put(std::string_view text) noexcept;
  /// Appends `value` as "0x" and lowercase hex digits without leading zeros.
  void put_hex(unsigned long long value) noexcept;
  std::string_view view() const noexcept { return {data, size}; }
};

/// Formats "[YYYY-MM-DD hh:mm:ss.mmm] [Agent] [critical] [thread] the agent
/// ends: <what>\n" (UTC) into `out`, cut to `capacity`; returns its length.
/// Allocation-free: a signal handler calls it.
size_t format_fault_line(char* out, size_t capacity, std::string_view what) noexcept;

/// std::terminate's handler: writes "an uncaught exception: <what()>" (or
/// "std::terminate called") and aborts.
[[noreturn]] void terminate_with_report() noexcept;

} // namespace detail

} // namespace vigil
