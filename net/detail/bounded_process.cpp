#include "net/detail/bounded_process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.hpp"

extern char** environ;

namespace vigil::detail {

namespace {

/// A file descriptor closed on scope exit.
class unique_fd {
public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_{fd} {
  }
  ~unique_fd() {
    reset();
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  int get() const noexcept {
    return fd_;
  }
  void reset() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

/// Owns the spawn attributes and file actions for one posix_spawn call.
struct spawn_setup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;

  spawn_setup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;
};

void kill_and_reap(pid_t pid, int& status) {
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

} // namespace

caf::expected<bounded_result> run_bounded(const std::vector<std::string>& argv,
                                          const bounded_options& options) {
  if (argv.empty())
    return make_error(ec::invalid_argument, "no program to run");
  // stdin is a socket so that writing to a child that stopped reading is
  // EPIPE (MSG_NOSIGNAL), never a SIGPIPE in the caller.
  int in_pair[2], out_pipe[2], err_pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0)
    return make_system_error(errno, "socketpair");
  unique_fd in_parent{in_pair[0]}, in_child{in_pair[1]};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return make_system_error(errno, "pipe");
  unique_fd out_parent{out_pipe[0]}, out_child{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return make_system_error(errno, "pipe");
  unique_fd err_parent{err_pipe[0]}, err_child{err_pipe[1]};

  spawn_setup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, in_child.get(), 0);
  posix_spawn_file_actions_adddup2(&setup.actions, out_child.get(), 1);
  posix_spawn_file_actions_adddup2(&setup.actions, err_child.get(), 2);
  // Descriptors the agent opened without O_CLOEXEC stay out of the child.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
  // The caller's threads may block or ignore signals; the child's limits
  // (SIGXCPU from RLIMIT_CPU) must work regardless.
  sigset_t none, reset;
  sigemptyset(&none);
  sigemptyset(&reset);
  for (int sig : {SIGPIPE, SIGXCPU, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGALRM})
    sigaddset(&reset, sig);
  posix_spawnattr_setsigmask(&setup.attributes, &none);
  posix_spawnattr_setsigdefault(&setup.attributes, &reset);
  posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  auto started = std::chrono::steady_clock::now();
  auto deadline = started + options.timeout;
  pid_t pid = -1;
  if (int rc = ::posix_spawn(&pid, argv[0].c_str(), &setup.actions, &setup.attributes,
                             args.data(), environ);
      rc != 0) {
    if (rc == ENOENT)
      return make_error(ec::not_found, "no program " + argv[0]);
    return make_system_error(rc, "posix_spawn " + argv[0]);
  }
  in_child.reset();
  out_child.reset();
  err_child.reset();
  // Becomes readable when the child exits: the loop waits on the child and
  // its output together, with one deadline, without polling on a timer.
  unique_fd exited{static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))};
  if (exited.get() < 0) {
    int status = 0;
    kill_and_reap(pid, status);
    return make_system_error(errno, "pidfd_open");
  }

  bounded_result result;
  size_t written = 0;
  if (options.input.empty())
    in_parent.reset();
  bool out_open = true, err_open = true, running = true;
  char buffer[16384];
  while (out_open || err_open || running) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd fds[4];
    nfds_t count = 0;
    auto watch = [&](int fd, short events) {
      fds[count] = {fd, events, 0};
      return static_cast<int>(count++);
    };
    int in_slot = in_parent.get() >= 0 ? watch(in_parent.get(), POLLOUT) : -1;
    int out_slot = out_open ? watch(out_parent.get(), POLLIN) : -1;
    int err_slot = err_open ? watch(err_parent.get(), POLLIN) : -1;
    int exit_slot = running ? watch(exited.get(), POLLIN) : -1;
    int ready = ::poll(fds, count, static_cast<int>(std::min<long long>(left.count() + 1, 60'000)));
    if (ready < 0 && errno != EINTR) {
      int status = 0;
      kill_and_reap(pid, status);
      return make_system_error(errno, "poll");
    }
    if (ready <= 0)
      continue;
    if (in_slot >= 0 && fds[in_slot].revents != 0) {
      auto n = ::send(in_parent.get(), options.input.data() + written,
                      options.input.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0)
        written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == options.input.size())
        in_parent.reset(); // done, or the child stopped reading: its exit tells why
    }
    auto drain = [&](int slot, int fd, bool& open, std::string& into, size_t cap, bool kill_over) {
      if (slot < 0 || fds[slot].revents == 0)
        return;
      auto n = ::read(fd, buffer, sizeof(buffer));
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
      if (n <= 0) {
        open = false;
        return;
      }
      auto room = cap - std::min(cap, into.size());
      into.append(buffer, std::min(room, static_cast<size_t>(n)));
      if (static_cast<size_t>(n) > room && kill_over)
        result.overflowed = true;
    };
    drain(out_slot, out_parent.get(), out_open, result.out, options.max_out_bytes, true);
    drain(err_slot, err_parent.get(), err_open, result.err, options.max_err_bytes, false);
    if (result.overflowed)
      break;
    if (exit_slot >= 0 && fds[exit_slot].revents != 0)
      running = false;
  }
  int status = 0;
  if (result.timed_out || result.overflowed || running) {
    kill_and_reap(pid, status);
  } else {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  // A child we killed reports our SIGKILL; say why instead.
  if (!result.timed_out && !result.overflowed && WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
  return result;
}

} // namespace vigil::detail
