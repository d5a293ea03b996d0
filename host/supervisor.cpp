#include "host/supervisor.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <spawn.h>
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

/// Waits for a signal in `signals` or for `child` to exit, whichever comes
/// first, up to `timeout`. Returns the signal number, 0 when the child exited
/// (status in `status`), -1 on timeout.
int wait_signal_or_child(const sigset_t& signals, pid_t child, int& status,
                         std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (child > 0 && ::waitpid(child, &status, WNOHANG) == child)
      return 0;
    timespec slice{0, 100'000'000}; // children are reaped within 100 ms
    int sig = ::sigtimedwait(&signals, nullptr, &slice);
    if (sig > 0)
      return sig;
    if (std::chrono::steady_clock::now() >= deadline)
      return -1;
  }
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
  for (;;) {
    auto started = std::chrono::steady_clock::now();
    pid_t child = spawn_child(argv);
    if (child < 0) {
      log->error("supervisor: cannot start {}: {}", argv[0], std::strerror(errno));
      return 1;
    }
    log->info("supervisor: agent started (pid {})", child);
    int status = 0;
    int sig = wait_signal_or_child(signals, child, status, std::chrono::hours{24 * 365 * 10});
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
