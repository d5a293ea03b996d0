#include "host/supervisor.hpp"

#include "host/memory.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <spawn.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "host/logging.hpp"

extern char** environ;

namespace vigil {

namespace {

pid_t spawn_child(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The child must receive signals normally again.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), nullptr, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}

int& status_unused() {
  static thread_local int status = 0;
  return status;
}

/// Waits for a signal in `signals` or for `child` to exit, whichever comes
/// first, up to `timeout`. Returns the signal number, 0 when the child exited
/// (status in `status`), -1 on timeout.
int wait_signal_or_child(const sigset_t& signals, pid_t child, int& status,
                         std::chrono::milliseconds timeout, siginfo_t* info = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (child > 0 && ::waitpid(child, &status, WNOHANG) == child)
      return 0;
    timespec slice{0, 100'000'000}; // children are reaped within 100 ms
    int sig = ::sigtimedwait(&signals, info, &slice);
    if (sig > 0)
      return sig;
    if (std::chrono::steady_clock::now() >= deadline)
      return -1;
  }
}

} // namespace

bool killed_from_outside(int wait_status) noexcept {
  return WIFSIGNALED(wait_status)
         && (WTERMSIG(wait_status) == SIGKILL || WTERMSIG(wait_status) == SIGTERM);
}

namespace {

/// Waits for a signal in `signals` that `accept` takes (none: any) or for
/// `pid` (not a child of this process) to end. Returns the signal number, or
/// 0 once the process is gone.
int wait_signal_or_adopted(const sigset_t& signals, int pid,
                           const std::function<bool(int sender)>& accept) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  for (;;) {
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0)
        break;
    } else if (::kill(pid, 0) != 0 && errno == ESRCH) {
      break;
    }
    timespec slice{0, 50'000'000};
    siginfo_t info{};
    if (int sig = ::sigtimedwait(&signals, &info, &slice); sig > 0) {
      if (accept && !accept(info.si_pid)) {
        module_logger(log_module::agent)
          ->warn("supervisor: signal {} from pid {} ignored: self-protection is on (stop with "
                 "vigil-spconfig or the platform)",
                 sig, info.si_pid);
        continue;
      }
      if (pidfd >= 0)
        ::close(pidfd);
      return sig;
    }
  }
  if (pidfd >= 0)
    ::close(pidfd);
  return 0;
}

} // namespace

int run_supervisor(const std::vector<std::string>& argv, const supervisor_options& options) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  auto log = module_logger(log_module::agent);
  std::mt19937_64 random{std::random_device{}()};
  unsigned crashes = 0;
  if (options.adopt_pid > 0) {
    // The agent started this supervisor because its own was killed: watch it
    // until it ends, then start agents as usual.
    log->warn("supervisor: started by the agent (pid {}) whose supervisor was killed",
              options.adopt_pid);
    if (int sig = wait_signal_or_adopted(signals, options.adopt_pid, options.accept_stop);
        sig > 0) {
      log->info("supervisor: signal {}: stopping the agent", sig);
      ::kill(options.adopt_pid, SIGTERM);
      return 0;
    }
    log->error("supervisor: the agent (pid {}) ended; starting it again", options.adopt_pid);
  }
  for (;;) {
    auto started = std::chrono::steady_clock::now();
    if (options.before_start)
      options.before_start();
    pid_t child = spawn_child(argv);
    if (child < 0) {
      log->error("supervisor: cannot start {}: {}", argv[0], std::strerror(errno));
      if (!options.protection_on || !options.protection_on())
        return 1;
      // Protected: the program may be back after the next repair.
      if (wait_signal_or_child(signals, -1, status_unused(), std::chrono::seconds{1}) > 0)
        return 0;
      continue;
    }
    log->info("supervisor: agent started (pid {})", child);
    // From here it only waits: its start-up's code pages need not stay
    // resident (host/memory).
    release_program_pages();
    int status = 0;
    siginfo_t info{};
    int sig = 0;
    for (;;) {
      sig = wait_signal_or_child(signals, child, status, std::chrono::hours{24 * 365 * 10}, &info);
      if (sig <= 0 || !options.accept_stop || options.accept_stop(info.si_pid))
        break;
      log->warn("supervisor: signal {} from pid {} ignored: self-protection is on (stop with "
                "vigil-spconfig or the platform)",
                sig, info.si_pid);
    }
    if (sig > 0) {
      log->info("supervisor: signal {}: stopping the agent", sig);
      ::kill(child, SIGTERM);
      auto waited = wait_signal_or_child(sigset_t{}, child, status, options.stop_timeout);
      if (waited != 0) {
        log->warn("supervisor: the agent did not stop within {} s: killing it",
                  options.stop_timeout.count());
        ::kill(child, SIGKILL);
        ::waitpid(child, &status, 0);
      }
      return 0;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      log->info("supervisor: the agent stopped by itself");
      return 0;
    }
    if (killed_from_outside(status) && options.protection_on && options.protection_on()) {
      // SPEC §13: whoever killed it, it runs again at once; the backoff is
      // for crashes of its own.
      log->error("supervisor: the agent was killed by signal {} while self-protection is on; "
                 "starting it again now",
                 WTERMSIG(status));
      continue;
    }
    if (std::chrono::steady_clock::now() - started >= options.stable_after)
      crashes = 0;
    auto delay = backoff_delay(options.restart_backoff, crashes++, random());
    if (WIFSIGNALED(status))
      log->error("supervisor: the agent was killed by signal {}; restart in {} ms",
                 WTERMSIG(status), delay.count());
    else
      log->error("supervisor: the agent exited with {}; restart in {} ms", WEXITSTATUS(status),
                 delay.count());
    if (wait_signal_or_child(signals, -1, status, delay) > 0)
      return 0;
  }
}

void daemonize_process() {
  if (auto pid = ::fork(); pid < 0) {
    std::perror("fork");
    std::exit(1);
  } else if (pid > 0) {
    std::_Exit(0);
  }
  ::setsid();
  int null = ::open("/dev/null", O_RDWR);
  ::dup2(null, 0);
  ::dup2(null, 1);
  ::dup2(null, 2);
  if (null > 2)
    ::close(null);
}

int running_pid(const std::filesystem::path& pidfile, const std::string& program) {
  std::ifstream in{pidfile};
  int pid = 0;
  if (!(in >> pid) || pid <= 0)
    return 0;
  if (::kill(pid, 0) != 0 && errno == ESRCH)
    return 0;
  std::ifstream cmdline{"/proc/" + std::to_string(pid) + "/cmdline"};
  std::string text{std::istreambuf_iterator<char>{cmdline}, std::istreambuf_iterator<char>{}};
  return text.find(program) != std::string::npos ? pid : 0;
}

} // namespace vigil
