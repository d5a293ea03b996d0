// vigil-agent.exe (SPEC §5, §6, §18): the agent as a Windows service, started
// by the service control manager (`--service`, what the installed service's
// command line says), or in a console (`--foreground`: Ctrl+C, Ctrl+Break and
// closing the console stop it). The run itself is actors/agent_run.cpp.

#include <windows.h>

#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/agent_run.hpp"
#include "common/error.hpp"
#include "host/paths.hpp"
#include "host/service_host.hpp"

using namespace vigil;

namespace {

constexpr const char* usage =
  "vigil-agent.exe [--root DIR] [--service]\n"
  "  The Vigil agent as the Windows service VigilAgent: what the service control\n"
  "  manager starts (the installer registers it, Automatic (Delayed Start)).\n"
  "vigil-agent.exe [--root DIR] --foreground\n"
  "  The agent in this console; Ctrl+C stops it.\n"
  "vigil-agent.exe [--root DIR] snapshot MODULE\n"
  "  Prints what MODULE collected last, one key<TAB>value line per row.\n";

/// Where the run waits for its stop, and what asks for it: the service
/// control manager, the console, the self-patch's restart.
class stop_request {
public:
  void request(std::string why) {
    {
      std::lock_guard lock{mutex_};
      if (!why_)
        why_ = std::move(why);
    }
    wake_.notify_all();
  }
  std::string wait() {
    std::unique_lock lock{mutex_};
    wake_.wait(lock, [this] { return why_.has_value(); });
    return *why_;
  }

private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<std::string> why_;
};

stop_request stop;

BOOL WINAPI on_console_event(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      stop.request(event == CTRL_C_EVENT ? "Ctrl+C received" : "console closing");
      return TRUE;
    default:
      return FALSE;
  }
}

agent_host_hooks hooks_for(std::function<void()> ready) {
  agent_host_hooks hooks;
  hooks.process_id = static_cast<int>(::GetCurrentProcessId());
  hooks.ready = std::move(ready);
  hooks.wait_for_stop = [] { return stop.wait(); };
  hooks.request_stop = [] { stop.request("restart requested"); };
  return hooks;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto root = paths::take_root_option(args);
  if (root && root->empty()) {
    std::cerr << "vigil-agent: --root needs a directory\n";
    return 2;
  }
  if (!args.empty() && args[0] == "snapshot") {
    if (args.size() != 2) {
      std::cerr << "usage: vigil-agent.exe [--root DIR] snapshot MODULE\n";
      return 2;
    }
    return print_module_snapshot(paths::from_environment(root), args[1]);
  }
  bool foreground = false;
  for (auto& a : args) {
    if (a == "--help" || a == "-h" || a == "/?") {
      std::cout << usage;
      return 0;
    }
    if (a == "--foreground") {
      foreground = true;
    } else if (a != "--service") {
      std::cerr << "vigil-agent: unknown argument '" << a << "'\n" << usage;
      return 2;
    }
  }
  auto p = paths::from_environment(root);
  if (foreground) {
    auto start = prepare_agent_start(p);
    if (!start)
      return fail_agent_start(render(start.error()));
    ::SetConsoleCtrlHandler(on_console_event, TRUE);
    return run_agent(std::move(*start), hooks_for({}));
  }
  // Started by the service control manager: the run reports its states to it
  // (START_PENDING until the actors run, RUNNING, STOP_PENDING, STOPPED with
  // the exit code), and a stop or shutdown from it ends the run.
  auto code = run_as_service(
    "VigilAgent",
    [&](const std::function<void()>& ready) {
      auto start = prepare_agent_start(p);
      if (!start)
        return fail_agent_start(render(start.error()));
      return run_agent(std::move(*start), hooks_for(ready));
    },
    [] { stop.request("service stop requested"); });
  if (!code && started_outside_service_manager(code.error())) {
    std::cerr << "vigil-agent: not started by the service control manager: start the service "
                 "(sc start VigilAgent) or run with --foreground\n";
    return 2;
  }
  if (!code)
    return fail_agent_start(render(code.error()));
  return *code;
}
