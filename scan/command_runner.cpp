#include "scan/command_runner.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "common/error.hpp"

namespace vigil::scan {

namespace {

using clock_type = std::chrono::steady_clock;

/// The program `name` names: itself when it contains '/', else the first
/// executable of that name in `command_search_path`.
caf::expected<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return name;
  std::string_view dirs = command_search_path;
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    auto dir = dirs.substr(0, colon);
    std::string candidate{dir};
    candidate += '/';
    candidate += name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
  }
  return make_error(ec::not_found, name + ": not found in " + command_search_path);
}

/// posix_spawn attributes and file actions, destroyed on scope exit.
struct spawn_setup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  spawn_setup() {
    ::posix_spawnattr_init(&attr);
    ::posix_spawn_file_actions_init(&actions);
  }
  ~spawn_setup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
  }
};

/// Reaps `pid`, waiting at most until `deadline` (forever when null);
/// returns whether it was reaped.
bool reap(pid_t pid, int& status, const clock_type::time_point* deadline) {
  for (;;) {
    auto r = ::waitpid(pid, &status, deadline != nullptr ? WNOHANG : 0);
    if (r == pid)
      return true;
    if (r < 0 && errno != EINTR)
      return true; // nothing left to wait for
    if (r == 0) {
      if (clock_type::now() >= *deadline)
        return false;
      std::this_thread::sleep_for(std::chrono::milliseconds{2});
    }
  }
}

} // namespace

caf::expected<command_result> run_command(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout,
                                          size_t output_cap) {
  if (argv.empty() || argv.front().empty())
    return make_error(ec::invalid_argument, "command: empty argv");
  auto program = find_program(argv.front());
  if (!program)
    return program.error();
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return make_system_error(errno, "command: pipe");
  spawn_setup setup;
  // Output goes to the pipe, input comes from nothing, and every other
  // descriptor of the agent stays closed in the child.
  ::posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&setup.actions, pipe_fds[1], 1);
  ::posix_spawn_file_actions_adddup2(&setup.actions, pipe_fds[1], 2);
  ::posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
  // A process group of its own, so a timeout kills grandchildren too; a clean
  // signal state, whatever the agent blocks or ignores.
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  ::posix_spawnattr_setpgroup(&setup.attr, 0);
  ::posix_spawnattr_setsigmask(&setup.attr, &none);
  ::posix_spawnattr_setsigdefault(&setup.attr, &all);
  ::posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                            | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::string path_env = "PATH=";
  path_env += command_search_path;
  char lang[] = "LANG=C";
  char lc_all[] = "LC_ALL=C";
  char* env[] = {path_env.data(), lang, lc_all, nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, program->c_str(), &setup.actions, &setup.attr, args.data(), env);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return make_system_error(rc, "command: " + *program);
  }
  command_result result;
  auto deadline = clock_type::now() + timeout;
  char buffer[64 * 1024];
  for (;;) {
    auto now = clock_type::now();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    // Rounded up, so poll never wakes just before the deadline and spins.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    auto ready = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    auto n = ::read(pipe_fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; // every writer closed the pipe
    auto keep = std::min(static_cast<size_t>(n), output_cap - result.output.size());
    result.output.append(buffer, keep);
    if (keep < static_cast<size_t>(n))
      result.truncated = true;
  }
  ::close(pipe_fds[0]);
  int status = 0;
  if (!result.timed_out && !reap(pid, status, &deadline))
    result.timed_out = true;
  if (result.timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    reap(pid, status, nullptr);
  }
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
  return result;
}

} // namespace vigil::scan
