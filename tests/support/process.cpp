#include "tests/support/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "vigil_test_config.hpp"

extern char** environ;

namespace vigil::test {

namespace {

struct argv_env {
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;

  argv_env(const std::vector<std::string>& args, const std::vector<std::string>& extra) {
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (char** e = environ; *e != nullptr; ++e)
      env_storage.emplace_back(*e);
    for (auto& e : extra)
      env_storage.push_back(e);
    for (auto& e : env_storage)
      envp.push_back(e.data());
    envp.push_back(nullptr);
  }
};

int decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

} // namespace

process_result run(const std::vector<std::string>& argv,
                   const std::vector<std::string>& env,
                   const std::optional<std::string>& input, run_until until) {
  argv_env args{argv, env};
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0
      || ::pipe2(in_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.argv.data(),
                         args.envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0)
    throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
  // Feed stdin from a thread so a child that writes a lot before reading
  // cannot deadlock against us.
  std::thread feeder{[fd = in_pipe[1], data = input.value_or("")] {
    size_t done = 0;
    while (done < data.size()) {
      auto n = ::write(fd, data.data() + done, data.size() - done);
      if (n <= 0)
        break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }};
  process_result result;
  // The third entry, with run_until::exited: readable once the child exited.
  int exit_fd = until == run_until::exited ? static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))
                                           : -1;
  pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {exit_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  auto read_from = [&](int i) {
    auto n = ::read(fds[i].fd, buf, sizeof(buf));
    if (n > 0) {
      (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      return true;
    }
    ::close(fds[i].fd);
    fds[i].fd = -1;
    --open_fds;
    return false;
  };
  while (open_fds > 0) {
    if (::poll(fds, 3, -1) < 0 && errno != EINTR)
      break;
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      // Exited: what it wrote is in the pipes now; others may keep them open.
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0)
          continue;
        ::fcntl(fds[i].fd, F_SETFL, O_NONBLOCK);
        while (fds[i].fd >= 0 && read_from(i)) {
        }
      }
      break;
    }
    for (int i = 0; i < 2; ++i)
      if (fds[i].fd >= 0 && fds[i].revents != 0)
        read_from(i);
  }
  if (exit_fd >= 0)
    ::close(exit_fd);
  feeder.join();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = decode_status(status);
  return result;
}

child_process::child_process(const std::vector<std::string>& argv,
                             const std::filesystem::path& log_file,
                             const std::vector<std::string>& env) {
  argv_env args{argv, env};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  auto log = log_file.empty() ? std::string{"/dev/null"} : log_file.string();
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  int rc = ::posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.argv.data(),
                         args.envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
}

child_process::~child_process() {
  if (!exited()) {
    signal(SIGKILL);
    wait();
  }
}

void child_process::signal(int sig) {
  if (!status_)
    ::kill(pid_, sig);
}

int child_process::wait() {
  if (!status_) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = decode_status(status);
  }
  return *status_;
}

bool child_process::exited() {
  if (status_)
    return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = decode_status(status);
    return true;
  }
  return false;
}

std::filesystem::path program(const std::string& name) {
  return std::filesystem::path{VIGIL_TEST_BIN_DIR} / name;
}

std::filesystem::path test_program(const std::string& name) {
  return std::filesystem::path{VIGIL_TEST_HELPER_DIR} / name;
}

} // namespace vigil::test

namespace vigil::test {

process_result rerun_in_own_namespaces(const std::string& marker, const std::string& test_case,
                                       const std::string& prepare) {
  auto self = std::filesystem::read_symlink("/proc/self/exe").string();
  auto script = "set -e; ip link set lo up; " + prepare + " exec env " + marker + "=1 " + self
                + " --test-case='" + test_case + "'";
  return run({"/usr/bin/unshare", "-n", "-m", "--propagation", "private", "/bin/sh", "-c", script});
}

} // namespace vigil::test
