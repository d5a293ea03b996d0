#include "host/service_manager.hpp"

#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "common/error.hpp"
#include "host/hive_file.hpp"
#include "host/supervisor.hpp"

namespace fs = std::filesystem;

namespace vigil {

service_manager::~service_manager() = default;

std::string systemd_unit_text(const paths& p) {
  return "[Unit]\n"
         "Description=Vigil endpoint agent\n"
         "Wants=network-online.target\n"
         "After=network-online.target\n"
         "\n"
         "[Service]\n"
         "Type=notify\n"
         "ExecStart="
         + (p.bin_dir() / "vigil-agent").string()
         + " --foreground\n"
           "Restart=on-failure\n"
           "RestartSec=5\n"
           "WatchdogSec=120\n"
           "TimeoutStopSec=10\n"
           "\n"
           "[Install]\n"
           "WantedBy=multi-user.target\n";
}

namespace {

/// Runs a command and returns its exit code (no shell).
int run_command(std::vector<std::string> argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

class supervisor_service final : public service_manager {
public:
  explicit supervisor_service(paths p) : paths_{std::move(p)} {
  }

  std::string kind() const override {
    return "supervisor";
  }

  caf::expected<void> install() override {
    return write_file_atomically(paths_.systemd_unit(), systemd_unit_text(paths_));
  }

  caf::expected<void> start() override {
    if (running())
      return {};
    auto agent = paths_.bin_dir() / "vigil-agent";
    auto code = run_command({agent.string(), "--root", paths_.root().string()});
    if (code != 0)
      return make_error(ec::unspecified, agent.string() + " exited with " + std::to_string(code)
                                           + " (see the Agent log)");
    for (int i = 0; i < 200 && !running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{25});
    if (!running())
      return make_error(ec::timeout, "the agent did not start within 5 s");
    return {};
  }

  caf::expected<void> stop() override {
    auto pid = running_pid(pidfile(), "vigil-agent");
    if (pid == 0)
      return {};
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 600 && running_pid(pidfile(), "vigil-agent") == pid; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{25});
    if (running_pid(pidfile(), "vigil-agent") == pid) {
      ::kill(pid, SIGKILL);
      std::error_code ignored;
      fs::remove(pidfile(), ignored);
    }
    return {};
  }

  bool running() const override {
    return running_pid(pidfile(), "vigil-agent") != 0;
  }

  caf::expected<void> remove() override {
    std::error_code err;
    fs::remove(paths_.systemd_unit(), err);
    if (err)
      return make_system_error(err.value(), "remove " + paths_.systemd_unit().string());
    return {};
  }

private:
  fs::path pidfile() const {
    return paths_.state_dir() / "vigil-agent.pid";
  }

  paths paths_;
};

class systemd_service final : public service_manager {
public:
  explicit systemd_service(paths p) : paths_{std::move(p)} {
  }

  std::string kind() const override {
    return "systemd";
  }

  caf::expected<void> install() override {
    if (auto ok = write_file_atomically(paths_.systemd_unit(), systemd_unit_text(paths_)); !ok)
      return ok;
    if (run_command({"systemctl", "daemon-reload"}) != 0
        || run_command({"systemctl", "enable", "vigil-agent.service"}) != 0)
      return make_error(ec::unspecified, "systemctl could not register vigil-agent.service");
    return {};
  }

  caf::expected<void> start() override {
    if (run_command({"systemctl", "start", "vigil-agent.service"}) != 0)
      return make_error(ec::unspecified, "systemctl start vigil-agent.service failed");
    return {};
  }

  caf::expected<void> stop() override {
    run_command({"systemctl", "stop", "vigil-agent.service"});
    return {};
  }

  bool running() const override {
    return run_command({"systemctl", "is-active", "--quiet", "vigil-agent.service"}) == 0;
  }

  caf::expected<void> remove() override {
    run_command({"systemctl", "disable", "--now", "vigil-agent.service"});
    std::error_code ignored;
    fs::remove(paths_.systemd_unit(), ignored);
    run_command({"systemctl", "daemon-reload"});
    return {};
  }

private:
  paths paths_;
};

} // namespace

std::unique_ptr<service_manager> make_service_manager(const paths& p) {
  std::error_code ignored;
  if (p.root() == "/" && fs::exists("/run/systemd/system", ignored))
    return std::make_unique<systemd_service>(p);
  return std::make_unique<supervisor_service>(p);
}

} // namespace vigil
