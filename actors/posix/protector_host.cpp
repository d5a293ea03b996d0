#include "actors/protector_host.hpp"

#include <chrono>
#include <thread>

#include "common/error.hpp"
#include "host/agent_status.hpp"
#include "host/atomic_file.hpp"
#include "host/logging.hpp"
#include "host/process.hpp"
#include "host/process_id.hpp"
#include "host/self_protection.hpp"
#include "host/systemd_service.hpp"
#include "host/supervisor.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

auto log() {
  return module_logger(log_module::self_protection);
}

} // namespace

caf::expected<void> self_protection_available() {
  return {};
}

void keep_service_protection(const paths& p, bool on) {
  // A drop-in takes effect only at a reload: until then a killed agent would
  // restart after the unit's own 5 s.
  auto file = self_protection_dropin(p);
  std::error_code err;
  bool changed = false;
  if (!on) {
    changed = fs::remove(file, err);
  } else if (auto kept = read_whole_file(file); !kept || *kept != self_protection_dropin_text()) {
    auto ok = write_file_atomically(file, self_protection_dropin_text(), 0644);
    if (!ok)
      log()->error("cannot write {}: {}", file.string(), render(ok.error()));
    changed = static_cast<bool>(ok);
  }
  if (!changed || !running_as_systemd_service())
    return;
  if (auto ok = reload_systemd_units(); !ok)
    log()->error("systemd did not read the self-protection drop-in: {}", render(ok.error()));
  else
    log()->info("systemd read the self-protection drop-in ({})",
                on ? "restart always, manual stop refused" : "removed");
}

std::optional<protocol::tamper_event> revive_supervisor(const paths& p,
                                                        const std::string& supervisor_pidfile) {
  if (supervisor_pidfile.empty())
    return std::nullopt;
  if (running_pid(supervisor_pidfile, "vigil-agent") != 0)
    return std::nullopt;
  auto program = p.bin_dir() / "vigil-agent";
  std::error_code err;
  if (!fs::exists(program, err))
    program = fs::read_symlink("/proc/self/exe", err);
  // It daemonizes: the process started here exits at once (the daemon may
  // keep nothing of ours open, but stop at the exit regardless).
  program_options options;
  options.stop_at_exit = true;
  auto started = run_program({program.string(), "--root", p.root().string(),
                              "--adopt=" + std::to_string(current_process_id())},
                             options);
  protocol::tamper_event event;
  event.at = unix_now();
  event.kind = "process";
  event.target = "supervisor";
  event.what = "killed";
  if (!started || !started->succeeded()) {
    event.action = "not restarted: "
                   + (started ? "vigil-agent --adopt exited with "
                                  + std::to_string(started->exit_code.value_or(-1)) + " "
                                  + started->err
                              : render(started.error()));
  } else {
    // Until it has written its pidfile, so the next round does not start a
    // second one.
    for (int i = 0; i < 100 && running_pid(supervisor_pidfile, "vigil-agent") == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    event.action = "restarted";
  }
  return event;
}

} // namespace vigil
