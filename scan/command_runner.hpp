#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "host/process.hpp"

namespace vigil::scan {

/// How a command run by `run_command` ended and what it printed.
struct command_result {
  std::optional<int> exit_code; ///< set when the process exited
  std::optional<int> signal;    ///< set when a signal ended it (SIGKILL on timeout)
  bool timed_out = false;       ///< the deadline passed; its process group was killed
  bool truncated = false;       ///< it printed more than the cap; the rest was discarded
  std::string output;           ///< stdout and stderr interleaved, at most the cap
  std::chrono::nanoseconds cpu{0}; ///< CPU time it used (user + system)
};

/// Where a bare program name (no '/') is looked up, instead of the agent's own
/// PATH: fixed, so the same manifest runs the same binaries everywhere.
inline constexpr std::string_view command_search_path = system_program_path;

/// Runs `argv` without a shell (host/process: `run_program`) in a new process
/// group, with stdin from /dev/null, stdout and stderr into one pipe, a
/// minimal C-locale environment and no inherited descriptors. A bare program
/// name is looked up in `command_search_path`. Keeps at most `output_cap`
/// bytes of output and reads and discards the rest, so a flooding command
/// never grows memory; when `timeout` passes, SIGKILLs the whole process group
/// and reports `timed_out`. It runs under `command_limits` with no_new_privs,
/// and, unless `privileged` (a signed manifest's `"privileged": true`), as
/// the unprivileged user (`unprivileged_user`: most host data is readable by
/// anyone; a command that needs root must say so). Errors: an empty argv (`ec::invalid_argument`), a
/// program that is not found or cannot be started (`ec::not_found`, ...).
caf::expected<command_result> run_command(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout,
                                          size_t output_cap, bool privileged = false);

/// The limits every command runs under (issue 15, defect 1): 1 GiB of
/// address space, the timeout (rounded up) plus one second of CPU, files of
/// at most 64 MiB, 256 open files, 256 processes of its user.
process_limits command_limits(std::chrono::milliseconds timeout);

} // namespace vigil::scan
