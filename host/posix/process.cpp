#include "host/process.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <utility>

#include "common/error.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace vigil {

namespace {

using clock_type = std::chrono::steady_clock;

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
  void reset(int fd = -1) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

/// The C arrays execve and posix_spawn take, pointing into `argv` and `env`
/// (which must outlive them); `envp` is this process's environment when
/// `env` is null. Built before a fork: the child only reads them.
struct exec_arrays {
  std::vector<char*> args;
  std::vector<char*> vars;
  char** envp = nullptr;

  exec_arrays(const std::vector<std::string>& argv, const std::vector<std::string>* env) {
    for (auto& arg : argv)
      args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    if (env != nullptr) {
      for (auto& var : *env)
        vars.push_back(const_cast<char*>(var.c_str()));
      vars.push_back(nullptr);
    }
    envp = env != nullptr ? vars.data() : environ;
  }
};

/// The attributes and file actions of one posix_spawn call, with the hygiene
/// every child gets: an empty signal mask, default dispositions for every
/// signal (the agent's threads block or ignore some), and no descriptor of
/// ours beyond those the actions place at 0-2 (and 3, see `start_detached`).
struct spawn_setup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;

  spawn_setup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
  }
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;

  /// posix_spawn of `path` with `argv` and `env`; the error names `argv[0]`.
  caf::expected<pid_t> spawn(const char* path, const std::vector<std::string>& argv,
                             const std::vector<std::string>* env, int first_inherited_fd = 3) {
    posix_spawn_file_actions_addclosefrom_np(&actions, first_inherited_fd);
    posix_spawnattr_setflags(&attributes, flags);
    exec_arrays arrays{argv, env};
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, path, &actions, &attributes, arrays.args.data(), arrays.envp);
    if (rc == ENOENT)
      return make_error(ec::not_found, "no program " + argv[0]);
    if (rc != 0)
      return make_system_error(rc, "start " + argv[0]);
    return pid;
  }
};

/// Starts `path` with `argv` and `env` (null: this process's) by fork and
/// execve, for children that need what posix_spawn cannot give: resource
/// limits, another user, no_new_privs. Between fork and execve the child
/// calls only async-signal-safe functions on memory prepared before the fork
/// (this process has other threads). `stdio` are the descriptors for 0-2
/// (-1: /dev/null). A failed execve (or user switch) comes back through a
/// close-on-exec pipe as its errno, so it is an error here, never a silent
/// exit status 127.
caf::expected<pid_t> spawn_restricted(const char* path, const std::vector<std::string>& argv,
                                      const std::vector<std::string>* env,
                                      const std::array<int, 3>& stdio, bool own_group,
                                      const std::optional<process_limits>& limits,
                                      const std::optional<process_user>& user) {
  exec_arrays arrays{argv, env};
  std::vector<std::pair<__rlimit_resource_t, rlimit>> rlimits;
  if (limits) {
    auto add = [&](__rlimit_resource_t resource, uint64_t value) {
      if (value > 0)
        rlimits.push_back({resource, rlimit{static_cast<rlim_t>(value), static_cast<rlim_t>(value)}});
    };
    add(RLIMIT_AS, limits->address_space_bytes);
    add(RLIMIT_CPU, limits->cpu_seconds);
    add(RLIMIT_FSIZE, limits->file_size_bytes);
    add(RLIMIT_NOFILE, limits->open_files);
    add(RLIMIT_NPROC, limits->processes);
  }
  bool switch_user = user && ::geteuid() == 0;
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0)
    return make_system_error(errno, "pipe");
  unique_fd report_read{report[0]}, report_write{report[1]};
  pid_t pid = ::fork();
  if (pid < 0)
    return make_system_error(errno, "fork for " + argv[0]);
  if (pid == 0) {
    auto fail = [&](int err) {
      (void) !::write(report[1], &err, sizeof err);
      ::_exit(127);
    };
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
      ::sigaction(sig, &defaults, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (own_group && ::setpgid(0, 0) != 0)
      fail(errno);
    for (int target = 0; target < 3; ++target) {
      int fd = stdio[static_cast<size_t>(target)];
      if (fd < 0)
        fd = ::open("/dev/null", target == 0 ? O_RDONLY : O_WRONLY);
      if (fd < 0 || ::dup2(fd, target) < 0)
        fail(errno);
    }
    // Everything above 2 closes at execve (the report pipe too: success is
    // its end of file).
    if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0)
      for (int fd = 3; fd < 1024; ++fd)
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    for (auto& [resource, value] : rlimits)
      if (::setrlimit(resource, &value) != 0)
        fail(errno);
    if (switch_user) {
      gid_t group = user->gid;
      if (::setgroups(1, &group) != 0 || ::setgid(user->gid) != 0 || ::setuid(user->uid) != 0)
        fail(errno);
    }
    if (user && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
      fail(errno);
    ::execve(path, arrays.args.data(), arrays.envp);
    fail(errno);
  }
  report_write.reset();
  int err = 0;
  ssize_t n;
  while ((n = ::read(report_read.get(), &err, sizeof err)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof err)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (err == ENOENT)
      return make_error(ec::not_found, "no program " + argv[0]);
    return make_system_error(err, "start " + argv[0]
                                    + (switch_user ? " as user " + std::to_string(user->uid)
                                                   : std::string{}));
  }
  return pid;
}

caf::expected<void> check_argv(const std::vector<std::string>& argv) {
  if (argv.empty() || argv.front().empty())
    return make_error(ec::invalid_argument, "no program to run");
  if (argv.front().front() != '/')
    return make_error(ec::invalid_argument,
                      "'" + argv.front() + "' is not an absolute path: programs are never "
                      "looked up in PATH");
  return {};
}

void reap(pid_t pid, int& status, rusage* usage = nullptr) {
  while (::wait4(pid, &status, 0, usage) < 0 && errno == EINTR) {
  }
}

std::chrono::nanoseconds cpu_of(const rusage& usage) {
  auto ns = [](const timeval& t) {
    return std::chrono::seconds{t.tv_sec} + std::chrono::microseconds{t.tv_usec};
  };
  return ns(usage.ru_utime) + ns(usage.ru_stime);
}

/// Whether `pid` (our child) has ended, without reaping it: its pid and
/// process group stay reserved until `reap`, so killing them stays safe.
bool ended(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0
         && info.si_pid == pid;
}

} // namespace

caf::expected<program_result> run_program(const std::vector<std::string>& argv,
                                          const program_options& options) {
  if (auto ok = check_argv(argv); !ok)
    return ok.error();
  // stdin is a socket so that writing to a child that stopped reading is
  // EPIPE (MSG_NOSIGNAL), never a SIGPIPE in the caller.
  unique_fd in_parent, in_child;
  if (!options.input.empty()) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
      return make_system_error(errno, "socketpair");
    in_parent.reset(pair[0]);
    in_child.reset(pair[1]);
  }
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return make_system_error(errno, "pipe");
  unique_fd out_parent{out_pipe[0]}, out_child{out_pipe[1]};
  unique_fd err_parent, err_child;
  if (!options.merge_output) {
    if (::pipe2(err_pipe, O_CLOEXEC) != 0)
      return make_system_error(errno, "pipe");
    err_parent.reset(err_pipe[0]);
    err_child.reset(err_pipe[1]);
  }

  spawn_setup setup;
  if (in_child.get() >= 0)
    posix_spawn_file_actions_adddup2(&setup.actions, in_child.get(), 0);
  else
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, out_child.get(), 1);
  posix_spawn_file_actions_adddup2(&setup.actions, options.merge_output ? out_child.get()
                                                                        : err_child.get(), 2);
  if (options.own_process_group) {
    posix_spawnattr_setpgroup(&setup.attributes, 0);
    setup.flags |= POSIX_SPAWN_SETPGROUP;
  }
  auto deadline = clock_type::now() + options.timeout;
  auto* env = options.environment ? &*options.environment : nullptr;
  auto started =
    options.limits || options.user
      ? spawn_restricted(argv[0].c_str(), argv, env,
                         {in_child.get(), out_child.get(),
                          options.merge_output ? out_child.get() : err_child.get()},
                         options.own_process_group, options.limits, options.user)
      : setup.spawn(argv[0].c_str(), argv, env);
  if (!started)
    return started.error();
  pid_t pid = *started;
  in_child.reset();
  out_child.reset();
  err_child.reset();
  auto kill_child = [&] {
    if (options.own_process_group)
      ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  };
  // Readable when the child exits: the loop waits on the child and its output
  // together, with one deadline. Kernels before 5.3 have no pidfd: the loop
  // then looks at the child every 20 ms instead.
  unique_fd exited{static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))};

  program_result result;
  size_t written = 0;
  bool out_open = true, err_open = err_parent.get() >= 0, running = true;
  char buffer[64 * 1024];
  while ((out_open || err_open || running) && !(options.stop_at_exit && !running)) {
    auto now = clock_type::now();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    // Rounded up, so poll never wakes just before the deadline and spins.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    pollfd fds[4];
    nfds_t count = 0;
    auto watch = [&](int fd, short events) {
      fds[count] = {fd, events, 0};
      return static_cast<int>(count++);
    };
    int in_slot = in_parent.get() >= 0 ? watch(in_parent.get(), POLLOUT) : -1;
    int out_slot = out_open ? watch(out_parent.get(), POLLIN) : -1;
    int err_slot = err_open ? watch(err_parent.get(), POLLIN) : -1;
    int exit_slot = running && exited.get() >= 0 ? watch(exited.get(), POLLIN) : -1;
    if (running && exited.get() < 0)
      left = std::min<long long>(left, 20);
    int ready = ::poll(fds, count, static_cast<int>(std::min<long long>(left, 60'000)));
    if (ready < 0 && errno != EINTR) {
      auto error = make_system_error(errno, "poll");
      kill_child();
      int status = 0;
      reap(pid, status);
      return error;
    }
    if (running && exited.get() < 0 && ended(pid))
      running = false;
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
    auto drain = [&](int slot, int fd, bool& open, std::string& into, size_t cap,
                     bool kill_over) {
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
      if (static_cast<size_t>(n) > room) {
        result.truncated = true;
        result.overflowed = result.overflowed || kill_over;
      }
    };
    drain(out_slot, out_parent.get(), out_open, result.out, options.max_out_bytes,
          options.kill_on_overflow);
    drain(err_slot, err_parent.get(), err_open, result.err, options.max_err_bytes, false);
    if (result.overflowed)
      break;
    if (exit_slot >= 0 && fds[exit_slot].revents != 0)
      running = false;
  }
  if (options.stop_at_exit && !running) {
    // What the child wrote before it exited is in the pipes already.
    for (auto [fd, open, into, cap] :
         {std::tuple{out_parent.get(), out_open, &result.out, options.max_out_bytes},
          std::tuple{err_parent.get(), err_open, &result.err, options.max_err_bytes}}) {
      pollfd ready{fd, POLLIN, 0};
      while (open && ::poll(&ready, 1, 0) > 0 && (ready.revents & POLLIN) != 0) {
        auto n = ::read(fd, buffer, sizeof(buffer));
        if (n <= 0)
          break;
        auto room = cap - std::min(cap, into->size());
        into->append(buffer, std::min(room, static_cast<size_t>(n)));
        result.truncated = result.truncated || static_cast<size_t>(n) > room;
      }
    }
  }
  int status = 0;
  if (result.timed_out || result.overflowed)
    kill_child();
  rusage usage{};
  reap(pid, status, &usage);
  result.cpu = cpu_of(usage);
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
  return result;
}

process_user unprivileged_user() {
  process_user out{65534, 65534};
  passwd entry{};
  passwd* found = nullptr;
  char buffer[1024];
  if (::getpwnam_r("nobody", &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
    out.uid = found->pw_uid;
    out.gid = found->pw_gid;
  }
  return out;
}

caf::expected<int> start_detached(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& environment,
                                  int program_fd) {
  if (program_fd < 0) {
    if (auto ok = check_argv(argv); !ok)
      return ok.error();
  } else if (argv.empty()) {
    return make_error(ec::invalid_argument, "no arguments for the program");
  }
  spawn_setup setup;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&setup.actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, 1, 2);
  setup.flags |= POSIX_SPAWN_SETSID;
  // The open file is run through its /proc/self/fd link, the way fexecve
  // does: the child's descriptor 3 stays open (read-only, on the program's own
  // file), since posix_spawn cannot mark it close-on-exec.
  const char* path = argv[0].c_str();
  int first_inherited = 3;
  if (program_fd >= 0) {
    posix_spawn_file_actions_adddup2(&setup.actions, program_fd, 3);
    path = "/proc/self/fd/3";
    first_inherited = 4;
  }
  auto started = setup.spawn(path, argv, &environment, first_inherited);
  if (!started)
    return started.error();
  pid_t pid = *started;
  // Nobody else waits for it: reap it if it ends before this process does.
  // (Without a thread it stays a zombie until this process ends: harmless.)
  try {
    std::thread{[pid] {
      int status = 0;
      reap(pid, status);
    }}.detach();
  } catch (const std::system_error&) {
  }
  return static_cast<int>(pid);
}

caf::expected<fs::path> find_program(std::string_view name, std::string_view search_path) {
  if (name.empty())
    return make_error(ec::invalid_argument, "no program name");
  if (name.find('/') != std::string_view::npos)
    return fs::path{name};
  auto dirs = search_path;
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    auto dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    if (dir.empty() || dir.front() != '/')
      continue; // a relative entry would depend on the working directory
    auto candidate = fs::path{dir} / name;
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode)
        && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return make_error(ec::not_found, std::string{name} + ": not found in "
                                     + std::string{search_path});
}

caf::expected<fs::path> find_trusted_program(std::string_view name, std::string_view search_path) {
  auto found = find_program(name, search_path);
  if (!found)
    return found;
  if (!found->is_absolute())
    return make_error(ec::invalid_argument, found->string() + " is not an absolute path");
  // The file itself (through any symbolic link: /usr/bin/x -> /etc/alternatives
  // /x -> ...) and every directory on the way must be root's and not writable
  // by group or others.
  std::error_code err;
  auto real = fs::canonical(*found, err);
  if (err)
    return make_system_error(err.value(), "resolve " + found->string());
  for (auto start : {real, found->parent_path()}) {
    for (auto path = start;; path = path.parent_path()) {
      struct stat info {};
      if (::stat(path.c_str(), &info) != 0)
        return make_system_error(errno, "stat " + path.string());
      if (info.st_uid != 0 || (info.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return make_error(ec::permission_denied,
                          found->string() + " is not trusted: " + path.string()
                            + " may be changed by a user other than root");
      if (path == path.parent_path())
        break;
    }
  }
  return found;
}

} // namespace vigil
