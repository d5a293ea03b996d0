#pragma once

// Runs a helper program under a wall-clock deadline with capped output: the
// agent's way to run untrusted work (a PAC script) outside its own process.

#include <caf/expected.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace vigil::detail {

/// Limits and input of one run.
struct bounded_options {
  std::chrono::milliseconds timeout{5000}; ///< wall clock from spawn to exit
  size_t max_out_bytes = 1u << 20;         ///< more stdout kills the child
  size_t max_err_bytes = 16u << 10;        ///< more stderr is dropped
  std::string input;                       ///< written to the child's stdin
};

/// How the run ended.
struct bounded_result {
  int exit_code = -1;      ///< the exit status, or -1 when a signal ended it
  int signal = 0;          ///< the signal that ended it, or 0
  bool timed_out = false;  ///< killed (SIGKILL) at the deadline
  bool overflowed = false; ///< killed (SIGKILL): stdout passed its cap
  std::string out;         ///< stdout (up to the cap)
  std::string err;         ///< stderr (up to the cap)
};

/// Starts `argv` (argv[0] a path; no shell, no PATH search) with the
/// environment of this process, default signal dispositions, an empty signal
/// mask and no file descriptors beyond 0-2, feeds it `input`, collects its
/// output and reaps it. The child is always gone when this returns, and
/// nothing it does (closing its stdin early, flooding its output, looping
/// forever) can block or signal the caller past the deadline. Failing to
/// start it is an error (`ec::not_found` when the program does not exist).
caf::expected<bounded_result> run_bounded(const std::vector<std::string>& argv,
                                          const bounded_options& options);

} // namespace vigil::detail
