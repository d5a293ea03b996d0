// The process floor bench/footprint.sh sets beside the agent: a CAF actor
// system configured as vigil-agent configures its own (2 scheduler threads,
// work sharing) with one event-based actor that wakes every 15 minutes (the
// agent's default check-in interval), linked against the same runtime
// libraries, doing nothing else. Its RSS and idle CPU are what any agent built
// on this stack pays before it does any work. Runs until SIGTERM.
// Usage: bench_caf_idle   (started by bench/footprint.sh, not run by ctest)

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;

caf::behavior ticker(caf::event_based_actor* self) {
  self->delayed_send(self, std::chrono::minutes{15}, tick_atom::value);
  return {[=](tick_atom) { self->delayed_send(self, std::chrono::minutes{15}, tick_atom::value); }};
}

} // namespace

int main() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr); // every thread inherits the mask
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system system{cfg};
  auto actor = system.spawn(ticker);
  std::printf("ready\n");
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop, &signal);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  return 0;
}
