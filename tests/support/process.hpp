#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "tests/support/wait.hpp"

namespace vigil::test {

/// What a finished child process left behind.
struct process_result {
  int exit_code = -1; ///< exit status, or 128 + signal number when killed
  std::string out;    ///< everything it wrote to stdout
  std::string err;    ///< everything it wrote to stderr
};

/// When `run` is done with a program.
enum class run_until {
  output_closed, ///< its exit and the end of its output (the usual case)
  /// its exit, with what it wrote until then: a program whose output another
  /// process keeps open (Wine's system processes, which a Windows program
  /// starts on demand, inherit it) has done its work when it exits.
  exited,
};

/// Runs `argv` (argv[0] is a path) to completion with no terminal on stdin (or
/// `input` on stdin), extra `env` entries ("NAME=value") added to the
/// environment, and returns its exit code and output.
process_result run(const std::vector<std::string>& argv,
                   const std::vector<std::string>& env = {},
                   const std::optional<std::string>& input = std::nullopt,
                   run_until until = run_until::output_closed);

/// A child process running in the background; killed (SIGKILL) and reaped on
/// destruction if still running.
class child_process {
public:
  /// Starts `argv` with stdout and stderr sent to `log_file` (or /dev/null).
  child_process(const std::vector<std::string>& argv,
                const std::filesystem::path& log_file = {},
                const std::vector<std::string>& env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// Sends `signal` to the child.
  void signal(int sig);
  /// Waits for the child to end and returns its exit code (128 + signal).
  int wait();
  /// Whether the child has ended (reaps it if so).
  bool exited();

private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

/// Runs this test program again inside network and mount namespaces of its
/// own (`unshare -n -m`, private propagation: its own loopback, which it
/// brings up, and bind mounts nobody else sees), with `marker=1` in its
/// environment and only the cases matching `test_case`. `prepare` is shell
/// run inside first (e.g. `mount --bind FILE /etc/hosts;`). The inner run
/// sees `marker` and does the work; the outer checks the result. Root only.
process_result rerun_in_own_namespaces(const std::string& marker, const std::string& test_case,
                                       const std::string& prepare);

/// The path of one of the project's built programs ("vigil-reg").
std::filesystem::path program(const std::string& name);

/// The path of one of the project's test helper programs.
std::filesystem::path test_program(const std::string& name);

} // namespace vigil::test
