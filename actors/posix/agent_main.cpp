// vigil-agent on POSIX (SPEC §5, §6, §17): SIGTERM and SIGINT taken by the
// main thread, the built-in supervisor where systemd does not run, and
// systemd's readiness and watchdog notifications where it does. The run
// itself is actors/agent_run.cpp.

#include <csignal>
#include <iostream>
#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "actors/agent_run.hpp"
#include "actors/protector.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "host/agent_status.hpp"
#include "host/atomic_file.hpp"
#include "host/memory.hpp"
#include "host/program_integrity.hpp"
#include "host/self_protection.hpp"
#include "host/service_notify.hpp"
#include "host/supervisor.hpp"

using namespace vigil;

namespace {

constexpr const char* usage =
  "vigil-agent [--root DIR] [--foreground]\n"
  "  The Vigil agent daemon. Without --foreground it detaches and supervises\n"
  "  itself (restarting the agent after a crash, pidfile\n"
  "  <root>/var/opt/vigil/state/vigil-agent.pid); with --foreground it stays\n"
  "  attached (systemd, the supervisor and tests use that).\n"
  "vigil-agent [--root DIR] --adopt=PID\n"
  "  A supervisor taking over the running agent PID, started by that agent when\n"
  "  self-protection is on and its own supervisor was killed.\n"
  "vigil-agent [--root DIR] snapshot MODULE\n"
  "  Prints what MODULE collected last, one key<TAB>value line per row.\n";

} // namespace

int main(int argc, char** argv) {
  limit_allocator_arenas(); // before any thread allocates (idle RSS budget)
  // Signals are taken by the main thread's sigwait only, and from the very
  // start: a SIGTERM during start-up waits for it and then stops gracefully.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto root = paths::take_root_option(args);
  bool foreground = false;
  int64_t adopt_pid = 0;
  // SPEC §13: no other user may ptrace the agent or read its memory, and no
  // core file holds its token. Inherited by every process it starts.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (!args.empty() && args[0] == "snapshot") {
    // What a module collected last (SPEC issue 5): one "key<TAB>value" line
    // per row, read from the file the running agent writes atomically.
    if (args.size() != 2) {
      std::cerr << "usage: vigil-agent [--root DIR] snapshot MODULE\n";
      return 2;
    }
    return print_module_snapshot(paths::from_environment(root), args[1]);
  }
  for (auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
    if (a == "--foreground") {
      foreground = true;
    } else if (a.rfind("--adopt=", 0) == 0) {
      adopt_pid = parse_int64(a.substr(8)).value_or(0);
      if (adopt_pid <= 0) {
        std::cerr << "vigil-agent: --adopt=PID needs a process id\n";
        return 2;
      }
    } else {
      std::cerr << "vigil-agent: unknown argument '" << a << "'\n" << usage;
      return 2;
    }
  }
  if (root && root->empty()) {
    std::cerr << "vigil-agent: --root needs a directory\n";
    return 2;
  }
  auto p = paths::from_environment(root);
  auto start = prepare_agent_start(p);
  if (!start)
    return fail_agent_start(render(start.error()));
  if (!foreground) {
    std::error_code ignored;
    // The built-in supervisor (SPEC §5): detach, then run and restart the
    // agent in the foreground. Threads do not survive fork: the loggers' flush
    // thread is made anew.
    auto pidfile = p.state_dir() / "vigil-agent.pid";
    if (running_pid(pidfile, "vigil-agent") != 0)
      return fail_agent_start("already running (pidfile " + pidfile.string() + ")");
    set_global_log_manager(nullptr);
    start->logs.reset();
    daemonize_process();
    auto logs = std::make_shared<log_manager>(p);
    logs->set_trace_level_override(start->trace_level);
    set_global_log_manager(logs);
    if (auto ok = write_file_atomically(pidfile, std::to_string(::getpid()) + "\n"); !ok)
      return fail_agent_start(render(ok.error()));
    // The installed program, so that a tampered or replaced file that ran
    // this process is not what starts the next agent.
    auto self_exe = p.bin_dir() / "vigil-agent";
    if (!std::filesystem::exists(self_exe, ignored))
      self_exe = std::filesystem::read_symlink("/proc/self/exe", ignored);
    ::setenv(supervisor_pidfile_env, pidfile.c_str(), 1);
    supervisor_options options;
    options.adopt_pid = static_cast<int>(adopt_pid);
    options.protection_on = [p] {
      auto h = open_hive_store(p)->load();
      return h && self_protection_enabled(*h, unix_now());
    };
    options.before_start = [p, running_version = start->running_version, pinned = start->pinned] {
      // An agent killed while self-protection is on may have been killed to
      // replace its files: they are checked (and restored) before it starts.
      auto h = open_hive_store(p)->load();
      if (h && self_protection_enabled(*h, unix_now()))
        repair_program_files(p, running_version, pinned.get());
    };
    options.accept_stop = [p](int sender) {
      auto h = open_hive_store(p)->load();
      return !(h && self_protection_enabled(*h, unix_now()))
             || stop_signal_allowed(p, sender, static_cast<int>(::getppid()));
    };
    auto code = run_supervisor({self_exe.string(), "--root", p.root().string(), "--foreground"},
                               options);
    std::filesystem::remove(pidfile, ignored);
    logs->flush();
    return code;
  }
  agent_host_hooks hooks;
  hooks.process_id = static_cast<int>(::getpid());
  // Under systemd (Type=notify): ready once the actors run, and watchdog
  // pings while they answer. Outside systemd these calls do nothing.
  hooks.ready = [] { notify_service_manager("READY=1"); };
  hooks.watchdog_interval = service_watchdog_interval(::getpid());
  hooks.watchdog_ping = [] { notify_service_manager("WATCHDOG=1"); };
  hooks.stopping = [] { notify_service_manager("STOPPING=1"); };
  hooks.request_stop = [] { ::kill(::getpid(), SIGTERM); };
  hooks.wait_for_stop = [&signals, p]() -> std::string {
    for (;;) {
      siginfo_t info{};
      int received = sigwaitinfo(&signals, &info);
      if (received < 0)
        continue; // EINTR
      // While self-protection is on, only the supervisor, the service manager
      // and Vigil's own programs may stop the agent (SPEC §13).
      auto h = open_hive_store(p)->load();
      if (!(h && self_protection_enabled(*h, unix_now()))
          || stop_signal_allowed(p, info.si_pid, static_cast<int>(::getppid())))
        return received == SIGTERM ? "SIGTERM received" : "SIGINT received";
      module_logger(log_module::self_protection)
        ->warn("signal {} from pid {} ignored: self-protection is on (stop with vigil-spconfig or "
               "the platform)",
               received, info.si_pid);
    }
  };
  return run_agent(std::move(*start), std::move(hooks));
}
