#include "host/service_manager.hpp"

#include <csignal>
#include <cstdlib>
#include <thread>
#include <unistd.h>

#include "common/error.hpp"
#include "host/hive_file.hpp"
#include "host/process.hpp"
#include "host/self_protection.hpp"
#include "host/supervisor.hpp"
#include "host/systemd_service.hpp"

namespace fs = std::filesystem;

namespace vigil {

service_manager::~service_manager() = default;

namespace {

/// `prefix` and `path` as one word of a unit file line, quoted when the path
/// holds a space.
std::string unit_word(const fs::path& path, std::string_view prefix = {}) {
  auto text = std::string{prefix} + path.string();
  return text.find_first_of(" \t\"\\") == std::string::npos ? text : "\"" + text + "\"";
}

} // namespace

std::string systemd_unit_text(const paths& p) {
  auto state = unit_word(p.program_data());
  auto hive = unit_word(p.hive_file().parent_path());
  auto fallback_log = unit_word(p.fallback_log_dir(), "-"); // "-": may be missing
  return "[Unit]\n"
         "Description=Vigil endpoint agent\n"
         "Wants=network-online.target\n"
         "After=network-online.target\n"
         "\n"
         "[Service]\n"
         "Type=notify\n"
         "ExecStart="
         + unit_word(p.bin_dir() / "vigil-agent")
         + " --foreground\n"
           "Restart=on-failure\n"
           "RestartSec=5\n"
           "WatchdogSec=120\n"
           "TimeoutStopSec=10\n"
           "\n"
           "# The sandbox (issue 15, defect 7). The agent reads the whole file system\n"
           "# (inventory, file and package collectors) and writes only its program\n"
           "# data and its hive; self-upgrade and uninstall run outside this unit\n"
           "# (a transient unit started with systemd-run). Self-protection (SPEC §13)\n"
           "# writes two more: the program files it restores when they are changed,\n"
           "# and its drop-in directory (RefuseManualStop while protection is on).\n"
           "UMask=0077\n"
           "ProtectSystem=strict\n"
           "ReadWritePaths="
         + state + " " + hive + " " + fallback_log + " " + unit_word(p.program_files(), "-") + " "
         + unit_word(self_protection_dropin(p).parent_path(), "-")
         + "\n"
           "ProtectHome=read-only\n"
           "PrivateTmp=yes\n"
           "PrivateDevices=yes\n"
           "PrivateMounts=yes\n"
           "ProtectKernelTunables=yes\n"
           "ProtectKernelLogs=yes\n"
           "ProtectControlGroups=yes\n"
           "ProtectClock=yes\n"
           "ProtectHostname=yes\n"
           "# Not ProtectKernelModules= (it hides /usr/lib/modules from the file\n"
           "# collectors; loading modules is refused anyway: no CAP_SYS_MODULE, no\n"
           "# @module calls), ProtectProc= or ProcSubset= (the collectors read /proc),\n"
           "# MemoryDenyWriteExecute= (a command collector may run a JIT, e.g. java).\n"
           "# Reading files of every user is the one privilege scans need; the\n"
           "# agent writes only files it owns (uid 0).\n"
           "CapabilityBoundingSet=CAP_DAC_READ_SEARCH\n"
           "NoNewPrivileges=yes\n"
           "RestrictSUIDSGID=yes\n"
           "RestrictNamespaces=yes\n"
           "RestrictRealtime=yes\n"
           "LockPersonality=yes\n"
           "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n"
           "SystemCallArchitectures=native\n"
           "SystemCallFilter=@system-service\n"
           "SystemCallFilter=~@privileged\n"
           "# A refused call fails with EPERM instead of killing the process: a\n"
           "# command collector's program may try one and carry on.\n"
           "SystemCallErrorNumber=EPERM\n"
           "\n"
           "[Install]\n"
           "WantedBy=multi-user.target\n";
}

namespace {

/// Runs `argv` (an absolute program path first) to its end and returns its
/// exit code (or 128 + the signal that ended it), its output in `output`.
int run_to_end(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
               std::string* output = nullptr) {
  program_options options;
  options.timeout = timeout;
  options.merge_output = true;
  options.max_out_bytes = 4096;
  options.stop_at_exit = true; // the agent's supervisor daemonizes
  auto run = run_program(argv, options);
  if (!run) {
    if (output)
      *output = render(run.error());
    return 127;
  }
  if (output)
    *output = std::move(run->out);
  if (run->exit_code)
    return *run->exit_code;
  return 128 + run->signal;
}

/// A start or stop waits for the unit's own timeouts (start: until the agent
/// says READY=1; stop: TimeoutStopSec=10): at most this long.
constexpr std::chrono::seconds systemctl_timeout{120};

/// `systemctl args...`, its error naming the output.
caf::expected<void> systemctl(std::vector<std::string> args) {
  auto command = systemctl_command(std::move(args));
  if (!command)
    return command.error();
  std::string output;
  if (int code = run_to_end(*command, systemctl_timeout, &output); code != 0) {
    std::string line;
    for (size_t i = 1; i < command->size(); ++i)
      line += " " + (*command)[i];
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r'))
      output.pop_back();
    return make_error(ec::unspecified, "systemctl" + line + " exited with " + std::to_string(code)
                                         + (output.empty() ? "" : ": " + output));
  }
  return {};
}

} // namespace

caf::expected<void> reload_systemd_units() {
  return systemctl({"daemon-reload"});
}

namespace {

class supervisor_service final : public service_manager {
public:
  explicit supervisor_service(paths p) : paths_{std::move(p)} {
  }

  std::string kind() const override {
    return "supervisor";
  }

  caf::expected<void> install() override {
    return write_file_atomically(paths_.systemd_unit(), systemd_unit_text(paths_), 0644);
  }

  caf::expected<void> start() override {
    if (running())
      return {};
    auto agent = paths_.bin_dir() / "vigil-agent";
    // It forks its supervisor into the background and exits.
    auto code = run_to_end({agent.string(), "--root", paths_.root().string()},
                           std::chrono::seconds{30});
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

  bool registered() const override {
    std::error_code ignored;
    return fs::exists(paths_.systemd_unit(), ignored);
  }

  std::vector<fs::path> registration_files() const override {
    return {paths_.systemd_unit()};
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
    // Self-protection's drop-in directory exists from the start: the unit
    // can make writable only what exists when it starts.
    if (auto made = make_directories(self_protection_dropin(paths_).parent_path(), 0755); !made)
      return made;
    if (auto ok = write_file_atomically(paths_.systemd_unit(), systemd_unit_text(paths_), 0644); !ok)
      return ok;
    if (auto ok = systemctl({"daemon-reload"}); !ok)
      return ok;
    return systemctl({"enable", "vigil-agent.service"});
  }

  caf::expected<void> start() override {
    return systemctl({"start", "vigil-agent.service"});
  }

  caf::expected<void> stop() override {
    // Vigil's own tools stop the agent only past their checks (setup; the
    // uninstaller after its SPFKEY gate): self-protection's drop-in, which
    // refuses a manual stop, goes first; the agent writes it again when it
    // starts with protection on (SPEC §13).
    std::error_code ignored;
    if (fs::remove(self_protection_dropin(paths_), ignored))
      (void) systemctl({"daemon-reload"});
    (void) systemctl({"stop", "vigil-agent.service"});
    return {};
  }

  bool running() const override {
    return static_cast<bool>(systemctl({"is-active", "--quiet", "vigil-agent.service"}));
  }

  caf::expected<void> remove() override {
    (void) systemctl({"disable", "--now", "vigil-agent.service"});
    std::error_code ignored;
    fs::remove(paths_.systemd_unit(), ignored);
    (void) systemctl({"daemon-reload"});
    return {};
  }

  bool registered() const override {
    std::error_code ignored;
    return fs::exists(paths_.systemd_unit(), ignored);
  }

  std::vector<fs::path> registration_files() const override {
    return {paths_.systemd_unit()};
  }

private:
  paths paths_;
};

} // namespace

caf::expected<std::vector<std::string>> systemctl_command(std::vector<std::string> args) {
  // Found once, in the system's own directories only, and only if root alone
  // can change it: the installer and the agent run it as root.
  static const auto program = find_trusted_program("systemctl", "/usr/bin:/bin");
  if (!program)
    return program.error();
  args.insert(args.begin(), program->string());
  return args;
}

bool running_as_systemd_service() {
  std::error_code ignored;
  return std::getenv("INVOCATION_ID") != nullptr && fs::exists("/run/systemd/system", ignored);
}

caf::expected<std::vector<std::string>> handover_command(const fs::path& program,
                                                         const std::vector<std::string>& args,
                                                         const std::string& unit) {
  static const auto systemd_run = find_trusted_program("systemd-run", "/usr/bin:/bin");
  if (!systemd_run)
    return systemd_run.error();
  // --service-type=exec: systemd-run returns once the program runs (or fails
  // to start); --collect: the unit is gone when it ends, even when it failed.
  std::vector<std::string> command{systemd_run->string(), "--unit=" + unit, "--collect",
                                   "--quiet", "--service-type=exec", "--no-ask-password",
                                   "--description=Vigil hand-over: " + program.filename().string(),
                                   "--", program.string()};
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

caf::expected<void> start_handover(int program_fd, const std::vector<std::string>& argv) {
  if (argv.empty())
    return make_error(ec::invalid_argument, "no program name");
  if (!running_as_systemd_service()) {
    auto started = start_detached(argv, {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, program_fd);
    if (!started)
      return started.error();
    return {};
  }
  std::error_code err;
  auto program = fs::read_symlink("/proc/self/fd/" + std::to_string(program_fd), err);
  if (err || !program.is_absolute() || !fs::is_regular_file(program, err))
    return make_error(ec::not_found, "the program to hand over to has no path any more ("
                                       + program.string() + ")");
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  auto unit = "vigil-handover-" + std::to_string(::getpid()) + "-"
              + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count())
              + ".service";
  auto command = handover_command(program, args, unit);
  if (!command)
    return command.error();
  std::string output;
  if (int code = run_to_end(*command, systemctl_timeout, &output); code != 0)
    return make_error(ec::unspecified, "systemd-run " + program.string() + " exited with "
                                         + std::to_string(code) + ": " + output);
  return {};
}

std::unique_ptr<service_manager> make_service_manager(const paths& p) {
  std::error_code ignored;
  if (p.root() == "/" && fs::exists("/run/systemd/system", ignored))
    return std::make_unique<systemd_service>(p);
  return std::make_unique<supervisor_service>(p);
}

} // namespace vigil
