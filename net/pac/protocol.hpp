#pragma once

// The contract between pac_evaluator (in the agent) and the vigil-pac child:
// its exit codes, its per-URL output lines and its resource limits. Pure
// constants, shared so both sides change together.

#include <cstddef>
#include <string_view>

namespace vigil::pac_protocol {

/// vigil-pac's exit codes; anything else (or a signal) is a crash.
enum exit_code : int {
  ok = 0,               ///< every answer printed (per-URL errors are lines, see below)
  usage = 2,            ///< bad command line
  unreadable = 3,       ///< the script file cannot be read
  script_error = 4,     ///< the script does not compile or throws while loading
  no_function = 5,      ///< neither FindProxyForURL nor FindProxyForURLEx is defined
  evaluation_error = 6, ///< single mode: FindProxyForURL threw or returned a non-string
  memory_limit = 7,     ///< the script hit the JavaScript heap cap or RLIMIT_AS
};

/// In batch mode each URL's answer is one line: "ok <answer>" or
/// "error <message>" (newlines in either are replaced by spaces).
constexpr std::string_view ok_prefix = "ok ";
constexpr std::string_view error_prefix = "error ";

/// The cap on the Duktape heap: a real PAC needs well under 1 MiB.
constexpr size_t heap_limit_bytes = 64u << 20;

/// RLIMIT_AS of the child: the second line behind the heap cap, for memory
/// Duktape does not allocate through our allocator.
constexpr size_t address_space_limit_bytes = 256u << 20;

/// RLIMIT_CPU of the child when the caller names none (seconds).
constexpr unsigned default_cpu_seconds = 5;

} // namespace vigil::pac_protocol
