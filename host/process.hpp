#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The one way Vigil starts another program (issue 16, item 10): command
// collectors (scan/), the PAC child (net/), systemctl and the agent
// (host/service_manager), the setup program a self-upgrade hands over to
// (actors/). It lives in host/, the OS seam every one of those layers may use
// (DESIGN layering). Every child gets the same hygiene: no shell, no PATH
// search (an absolute argv[0]), no descriptor of ours beyond 0-2, an empty
// signal mask and default dispositions, and a child that is always reaped.

namespace vigil {

/// Resource limits for a child (setrlimit, soft = hard, so the child cannot
/// raise them); 0 leaves that limit as this process has it.
struct process_limits {
  uint64_t address_space_bytes = 0; ///< RLIMIT_AS: memory it may map
  uint64_t cpu_seconds = 0;         ///< RLIMIT_CPU: CPU time, then SIGKILL
  uint64_t file_size_bytes = 0;     ///< RLIMIT_FSIZE: the largest file it may write
  uint64_t open_files = 0;          ///< RLIMIT_NOFILE
  uint64_t processes = 0;           ///< RLIMIT_NPROC: processes of its user
};

/// The user and group a child runs as (its only supplementary group is
/// `gid`). Switching needs root; a process that is not root runs its
/// children as itself, which is already unprivileged.
struct process_user {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

/// The unprivileged user children that need no privilege run as: `nobody`
/// from the user database, else 65534:65534 (its usual ids).
process_user unprivileged_user();

/// Limits and plumbing of one `run_program`.
struct program_options {
  /// Wall clock from start to exit (and the end of its output); then the
  /// child (or its whole group) is killed with SIGKILL.
  std::chrono::milliseconds timeout{5000};
  /// The child's whole environment ("NAME=value"); nothing: this process's.
  std::optional<std::vector<std::string>> environment;
  /// Written to the child's stdin; when empty, stdin is /dev/null.
  std::string input;
  /// stdout kept; what is past it kills the child (`kill_on_overflow`) or is
  /// read and dropped (`truncated`).
  size_t max_out_bytes = 1u << 20;
  /// stderr kept; what is past it is read and dropped.
  size_t max_err_bytes = 16u << 10;
  /// stderr goes into stdout's pipe, interleaved as written.
  bool merge_output = false;
  /// stdout past `max_out_bytes` kills the child (`overflowed`).
  bool kill_on_overflow = false;
  /// The child leads a new process group, and the deadline kills the whole
  /// group, so nothing it started in the background outlives it.
  bool own_process_group = false;
  /// Resource limits applied in the child before it runs the program.
  std::optional<process_limits> limits;
  /// The user the child runs as (see `process_user`); it also gets
  /// no_new_privs, so no set-user-ID program gives root back.
  std::optional<process_user> user;
  /// Stop at the child's exit, with what it wrote until then, instead of
  /// waiting for the end of its output: a program that starts a daemon (which
  /// may keep the output open) has done its work when it exits.
  bool stop_at_exit = false;
};

/// How a `run_program` child ended and what it printed.
struct program_result {
  std::optional<int> exit_code; ///< set when it exited by itself
  int signal = 0;               ///< the signal that ended it (SIGKILL when killed), or 0
  bool timed_out = false;       ///< killed at the deadline (it, or its output, outlived it)
  bool overflowed = false;      ///< killed: stdout passed its cap (`kill_on_overflow`)
  bool truncated = false;       ///< output past a cap was dropped
  std::string out;              ///< stdout (with stderr when merged), up to its cap
  std::string err;              ///< stderr, up to its cap
  /// CPU time (user + system) the child used, with the descendants it
  /// waited for: what a CPU limit must count (issue 15, defect 8).
  std::chrono::nanoseconds cpu{0};

  /// Exited by itself with status 0.
  bool succeeded() const noexcept {
    return exit_code == 0 && !timed_out && !overflowed;
  }
};

/// Starts `argv` (argv[0] an absolute path: never looked up in PATH), feeds
/// it `input`, collects its output within the caps and reaps it. The child is
/// always gone when this returns, and nothing it does (closing stdin early,
/// flooding its output, looping forever, leaving a grandchild holding its
/// output) can block the caller past the deadline; the wait sleeps in poll(2)
/// on the output and a pidfd, never on a timer. Errors: an empty or relative
/// argv[0] (`ec::invalid_argument`), a program that does not exist
/// (`ec::not_found`), any other failure to start it (a system error).
caf::expected<program_result> run_program(const std::vector<std::string>& argv,
                                          const program_options& options = {});

/// Starts `argv` in a new session with stdin, stdout and stderr on /dev/null
/// and `environment` as its whole environment, and does not wait for it: it
/// outlives this process, and signals to this process's group or session do
/// not reach it. The program is argv[0] (an absolute path), or the open file
/// `program_fd` when it is not -1 (the bytes of that file, whatever replaces
/// its path meanwhile). Returns its process id once it runs the program (a
/// failed exec is an error here, not a silent exit); a background thread reaps
/// it if it ends before this process does.
caf::expected<int> start_detached(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& environment,
                                  int program_fd = -1);

/// The directories bare program names are looked up in, instead of anyone's
/// PATH: fixed, so the same name runs the same binary everywhere.
inline constexpr std::string_view system_program_path =
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The program `name` names: itself when it contains '/', else the first
/// executable regular file of that name in the `search_path` directories.
/// `ec::not_found` when there is none.
caf::expected<std::filesystem::path> find_program(std::string_view name,
                                                  std::string_view search_path
                                                  = system_program_path);

/// `find_program(name, search_path)`, accepted only when the file and every
/// directory above it belong to root and are writable by nobody else: a
/// program the agent runs as root must not be replaceable by another user.
/// `ec::permission_denied` names the culprit.
caf::expected<std::filesystem::path> find_trusted_program(std::string_view name,
                                                          std::string_view search_path
                                                          = system_program_path);

} // namespace vigil
