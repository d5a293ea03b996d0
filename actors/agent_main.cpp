// vigil-agent: the daemon (SPEC §6, §17).

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <csignal>
#include <fcntl.h>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "actors/checkin.hpp"
#include "actors/identity.hpp"
#include "actors/module.hpp"
#include "actors/orders.hpp"
#include "actors/proxy_resolver.hpp"
#include "protocol/modules.hpp"
#include "actors/registry_watch.hpp"
#include "actors/selfpatch.hpp"
#include "actors/state_repair.hpp"
#include "actors/status.hpp"
#include "actors/supervisor.hpp"
#include "actors/transport.hpp"
#include "actors/uploader.hpp"
#include "actors/delta.hpp"
#include "actors/blackout.hpp"
#include "common/error.hpp"
#include "host/fingerprint.hpp"
#include "host/agent_status.hpp"
#include "host/hive_file.hpp"
#include "host/inventory.hpp"
#include "host/logging.hpp"
#include "host/memory.hpp"
#include "host/paths.hpp"
#include "host/secret_box.hpp"
#include "host/pinned_keys.hpp"
#include "host/service_notify.hpp"
#include "host/supervisor.hpp"
#include "host/self_protection.hpp"
#include "actors/hive_writer.hpp"
#include "actors/protector.hpp"
#include "common/text.hpp"
#include "storage/rocksdb_store.hpp"
#include "vigil_version.hpp"

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

protocol::host_inventory to_protocol(const basic_inventory& inv) {
  protocol::host_inventory out;
  out.hostname = inv.hostname;
  out.fqdn = inv.fqdn;
  out.os_name = inv.os_name;
  out.os_version = inv.os_version;
  out.kernel = inv.kernel;
  out.arch = inv.arch;
  out.ipv4 = inv.ipv4;
  out.ipv6 = inv.ipv6;
  out.macs = inv.macs;
  return out;
}

int fail(const std::string& message) {
  std::cerr << "vigil-agent: " << message << "\n";
  module_logger(log_module::agent)->error("{}", message);
  if (auto manager = global_log_manager())
    manager->flush();
  return 1;
}

/// Set by the self-patch actor's restart: the agent stops gracefully and
/// exits with `restart_exit_code` (EX_TEMPFAIL), so its supervisor (or
/// systemd) starts it again from the program files.
std::atomic<bool> restart_requested{false};
constexpr int restart_exit_code = 75;

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
    auto p = paths::from_environment(root);
    auto text = read_whole_file(snapshot_file(p, args[1]));
    if (!text) {
      std::cerr << "vigil-agent: no snapshot of " << args[1] << " yet (" << render(text.error())
                << ")\n";
      return 1;
    }
    std::istringstream lines{*text};
    for (std::string line; std::getline(lines, line);) {
      auto row = nlohmann::json::parse(line, nullptr, false);
      if (!row.is_discarded())
        std::cout << row.value("key", "") << "\t" << row.value("value", "") << "\n";
    }
    return 0;
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
  auto logs = std::make_shared<log_manager>(p);
  set_global_log_manager(logs);
  auto log = module_logger(log_module::agent);
  auto hive = std::make_shared<hive_file>(p.hive_file());
  auto loaded = hive->load();
  if (!loaded)
    return fail("cannot read the hive: " + render(loaded.error()));
  std::optional<uint32_t> trace_level;
  if (auto* level = loaded->get(std::string{agent_key} + "\\Logs", "TraceLevel"))
    if (auto n = level->as_number())
      trace_level = static_cast<uint32_t>(*n);
  logs->set_trace_level_override(trace_level);
  auto settings = read_agent_settings(*loaded);
  if (!settings)
    return fail(render(settings.error()));
  // The platform's root key, pinned at install (DESIGN "One trust root").
  // Without it the agent runs on, but accepts no manifest: say so loudly.
  std::shared_ptr<const trusted_keys> pinned;
  if (auto keys = read_pinned_keys(*loaded))
    pinned = std::make_shared<const trusted_keys>(std::move(*keys));
  else
    log->error("{}: manifests will be refused", render(keys.error()));
  auto base = parse_url(settings->web_service_uri);
  if (!base || base->scheme != "https")
    return fail("WebServiceUri '" + settings->web_service_uri + "' is not an https URL");
  // The version this agent is: its installed payload's VERSION (what an
  // upgrade installed), else the one it was built as.
  std::string running_version = VIGIL_VERSION;
  if (auto installed = read_whole_file(p.version_file()))
    if (auto v = trim_blanks_and_line_breaks(*installed); !v.empty())
      running_version = std::string{v};
  std::error_code ignored;
  std::filesystem::create_directories(p.state_dir(), ignored);
  std::filesystem::permissions(p.state_dir(), std::filesystem::perms::owner_all, ignored);
  if (!foreground) {
    // The built-in supervisor (SPEC §5): detach, then run and restart the
    // agent in the foreground. Threads do not survive fork: the loggers' flush
    // thread is made anew.
    auto pidfile = p.state_dir() / "vigil-agent.pid";
    if (running_pid(pidfile, "vigil-agent") != 0)
      return fail("already running (pidfile " + pidfile.string() + ")");
    set_global_log_manager(nullptr);
    logs.reset();
    daemonize_process();
    logs = std::make_shared<log_manager>(p);
    logs->set_trace_level_override(trace_level);
    set_global_log_manager(logs);
    if (auto ok = write_file_atomically(pidfile, std::to_string(::getpid()) + "\n"); !ok)
      return fail(render(ok.error()));
    // The installed program, so that a tampered or replaced file that ran
    // this process is not what starts the next agent.
    auto self_exe = p.bin_dir() / "vigil-agent";
    if (!std::filesystem::exists(self_exe, ignored))
      self_exe = std::filesystem::read_symlink("/proc/self/exe", ignored);
    ::setenv(supervisor_pidfile_env, pidfile.c_str(), 1);
    supervisor_options options;
    options.adopt_pid = static_cast<int>(adopt_pid);
    options.protection_on = [p] {
      auto h = hive_file{p.hive_file()}.load();
      return h && self_protection_enabled(*h, unix_now());
    };
    options.before_start = [p, running_version, pinned] {
      // An agent killed while self-protection is on may have been killed to
      // replace its files: they are checked (and restored) before it starts.
      auto h = hive_file{p.hive_file()}.load();
      if (h && self_protection_enabled(*h, unix_now()))
        repair_program_files(p, running_version, pinned.get());
    };
    options.accept_stop = [p](int sender) {
      auto h = hive_file{p.hive_file()}.load();
      return !(h && self_protection_enabled(*h, unix_now()))
             || stop_signal_allowed(p, sender, static_cast<int>(::getppid()));
    };
    auto code = run_supervisor({self_exe.string(), "--root", p.root().string(), "--foreground"},
                               options);
    std::filesystem::remove(pidfile, ignored);
    logs->flush();
    return code;
  }
  auto opened = rocksdb_store::open(p.store_dir(), agent_columns());
  if (!opened)
    return fail("cannot open the store: " + render(opened.error()));
  std::shared_ptr<kv_store> store = std::move(*opened);
  // Before any actor reads it: every corrupt value rebuilt, never acted on
  // and never a crash loop (issue 15, defect 9).
  auto repairs = repair_stored_state(*store);
  if (!repairs)
    return fail("cannot check the stored state: " + render(repairs.error()));
  auto machine = read_machine_identity(p);
  // The agent token is sealed at rest with the host key (issue 15).
  auto box = secret_box::open(p);
  if (!box)
    return fail("cannot open the host key that seals the agent token: " + render(box.error()));
  auto token_box = std::make_shared<const secret_box>(std::move(*box));
  auto identity = establish_identity(*hive, *store, fingerprint_of(machine), token_box.get());
  if (!identity)
    return fail("cannot establish the agent's identity: " + render(identity.error()));
  // What vigil-healthcheck reads instead of the locked store (issue 8): kept
  // in memory, written by the status actor off the scheduler threads. It
  // starts from what the last run left (last scans, uploads, errors).
  auto status = load_agent_status(p);
  if (!status && code_of(status.error()) != ec::not_found)
    repairs->push_back("the status file was unreadable (" + render(status.error())
                       + "): started afresh");
  for (auto& note : identity->repairs)
    repairs->push_back(note);
  auto board = std::make_shared<status_board>(status ? std::move(*status) : agent_status{});
  board->apply([&](agent_status& s) {
    for (auto& note : *repairs) {
      log->warn("corrupt stored state: {}", note);
      s.note_rebuilt(note, unix_now());
    }
    s.pid = static_cast<int>(::getpid());
    s.started_at = unix_now();
    s.checkins_since_start = 0;
    s.version = running_version;
    s.provisioned = !identity->agent_token.empty();
    for (auto& m : s.modules) { // no scan survives a restart
      m.activated_since = 0;
      if (m.state == module_run_state::scanning)
        m.state = module_run_state::idle;
    }
  });
  log->info("vigil-agent {} starting: HostID {}, platform {}", running_version, identity->host_id,
            base->to_string());
  client_options options;
  options.user_agent = "vigil-agent/" + running_version;
  if (auto bundle = p.state_dir() / "ca-bundle.pem"; std::filesystem::exists(bundle))
    options.trust.ca_bundle = bundle;
  auto client = https_client::make(options);
  if (!client)
    return fail(render(client.error()));
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  // Work sharing: idle workers block instead of polling (work stealing wakes
  // every worker about 100 times a second), which keeps an idle agent idle.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system system{cfg};
  auto status_writer_actor = system.spawn<caf::detached>(status_writer, p, board,
                                                          std::chrono::milliseconds{250});
  set_agent_status_sink(board, [status_writer_actor] {
    caf::anon_send(status_writer_actor, changed_atom::value);
  });
  identity_config id_config{settings->customer_id, settings->activation_id, running_version,
                            to_protocol(read_basic_inventory(p, machine)), {}, token_box};
  if (auto watchable = hive_watch::open(p.hive_file()); !watchable)
    return fail("cannot watch the hive: " + render(watchable.error()));
  auto first_start = std::make_shared<std::atomic<bool>>(true);
  // Hive changes reach the module actors through the bus.
  auto bus = std::make_shared<actor_bus>();
  // The actors under the supervisor, each naming the actors whose handles it
  // takes: a crash restarts the crashed actor and those that depend on it.
  platform_client platform{*client, *base};
  // The proxy resolver answers the transport's every request (SPEC §10); it is
  // spawned and linked with it, so the two restart together.
  auto proxy_options = agent_proxy_options(p, options.trust, id_config.inventory.fqdn);
  if (!proxy_options)
    return fail("cannot set up proxy resolution: " + render(proxy_options.error()));
  std::vector<child_spec> children{
    {"transport",
     {"blackout"},
     [p, platform, bus, target = base->to_string(), proxy_options = *proxy_options](
       caf::local_actor* self, const actor_registry& running) {
       auto resolver = self->spawn<caf::detached>(proxy_resolver, proxy_options, bus);
       // The WebServiceUri as the hive has it now: a changed one is used from
       // the next request on (SPEC §2), and a restarted transport starts on it.
       auto web_service_uri = [p]() -> caf::expected<std::string> {
         auto h = hive_file{p.hive_file()}.load();
         if (!h)
           return h.error();
         auto settings = read_agent_settings(*h);
         if (!settings)
           return settings.error();
         return settings->web_service_uri;
       };
       auto transport = self->spawn<caf::detached>(
         transport_following_hive, platform, resolver, target,
         running.get<blackout_actor>("blackout"), web_service_uri);
       bus->subscribe(caf::actor_cast<caf::actor>(transport));
       caf::anon_send(transport, changed_atom::value);
       return caf::actor_cast<caf::actor>(transport);
     }},
    {"registry_watch",
     {},
     [p, bus](caf::local_actor* self, const actor_registry&) {
       // A restarted watcher reads the hive afresh.
       auto again = hive_watch::open(p.hive_file());
       auto w = again ? std::make_shared<hive_watch>(std::move(*again)) : nullptr;
       if (!w)
         throw std::runtime_error("cannot watch the hive: " + render(again.error()));
       return caf::actor_cast<caf::actor>(self->spawn(
         registry_watch, w,
         std::vector<hive_subscriber>{trace_level_subscriber(),
                                      [bus](const std::vector<hive_change>&, const vigil::hive&) {
                                        bus->publish();
                                      }}));
     }},
    {"identity",
     {"transport"},
     [=, identity = *identity](caf::local_actor* self, const actor_registry& running) {
       // The first start uses the identity established above; a restart
       // re-reads it, as it may have changed since (re-provisioned).
       auto now = first_start->exchange(false)
                    ? caf::expected<agent_identity>{identity}
                    : establish_identity(*hive, *store, identity.fingerprint,
                                         token_box.get());
       return caf::actor_cast<caf::actor>(
         self->spawn(vigil::identity, now ? *now : identity, id_config, hive, store,
                     running.get<transport_actor>("transport")));
     }},
    {"selfpatch",
     {"transport", "blackout"},
     [=](caf::local_actor* self, const actor_registry& running) {
       // Detached: it hashes and writes the package (SPEC §12).
       return caf::actor_cast<caf::actor>(self->spawn<caf::detached>(
         vigil::selfpatch, p, store, running.get<transport_actor>("transport"), pinned,
         running_version, running.get<blackout_actor>("blackout"),
         selfpatch_options{.now = {}, .restart = [] {
           restart_requested = true;
           ::kill(::getpid(), SIGTERM);
         }}));
     }},
    {"protector",
     {},
     [=](caf::local_actor* self, const actor_registry&) {
       // Detached: it waits on fanotify and hashes program files (SPEC §13).
       protector_options options;
       if (auto* pidfile = std::getenv(supervisor_pidfile_env))
         options.supervisor_pidfile = pidfile;
       options.bus = bus;
       return caf::actor_cast<caf::actor>(self->spawn<caf::detached>(
         vigil::protector, p, store, hive, running_version, pinned, options));
     }},
    {"orders",
     {"identity", "protector"},
     [=](caf::local_actor* self, const actor_registry& running) {
       // Detached: it writes the hive and the store (issue 14).
       return caf::actor_cast<caf::actor>(self->spawn<caf::detached>(
         vigil::orders, p, store, hive, pinned, running.get<identity_actor>("identity"),
         running.get<protector_actor>("protector")));
     }},
    {"checkin",
     {"transport", "identity", "blackout", "selfpatch", "orders", "protector"},
     [=](caf::local_actor* self, const actor_registry& running) {
       return caf::actor_cast<caf::actor>(
         self->spawn(vigil::checkin, store, running.get<transport_actor>("transport"),
                     running.get<identity_actor>("identity"), running_version, bus,
                     running.get<blackout_actor>("blackout"), pinned,
                     running.get<selfpatch_actor>("selfpatch"),
                     running.get<orders_actor>("orders"),
                     running.get<protector_actor>("protector")));
     }},
    {"uploader",
     {"transport", "blackout"},
     [=](caf::local_actor* self, const actor_registry& running) {
       return caf::actor_cast<caf::actor>(
         spawn_uploader(self->system(), store, running.get<transport_actor>("transport"), bus,
                        running.get<blackout_actor>("blackout"), backoff_policy{}));
     }},
    {"delta",
     {"uploader"},
     [=](caf::local_actor* self, const actor_registry& running) {
       return caf::actor_cast<caf::actor>(
         self->spawn<caf::detached>(vigil::delta, store, running.find("uploader")));
     }},
    {"blackout",
     {},
     [=](caf::local_actor* self, const actor_registry&) {
       return caf::actor_cast<caf::actor>(self->spawn(vigil::blackout, store, bus, blackout_options{}));
     }},
    {"hive_writer",
     {},
     [=](caf::local_actor* self, const actor_registry&) {
       // Detached: it waits on the hive's file lock (issue 16, item 1).
       return caf::actor_cast<caf::actor>(self->spawn<caf::detached>(vigil::hive_writer, hive));
     }},
  };
  for (auto name : protocol::scan_module_names)
    children.push_back({std::string{name},
                        {"delta", "blackout", "hive_writer"},
                        [=, name = std::string{name}](caf::local_actor* self,
                                                      const actor_registry& running) {
                          return caf::actor_cast<caf::actor>(
                            self->spawn(vigil::module, name, p, store, hive, bus,
                                        running.get<delta_actor>("delta"),
                                        detached_scan_launcher(p),
                                        running.get<blackout_actor>("blackout"),
                                        running.get<hive_writer_actor>("hive_writer")));
                        }});
  auto root_supervisor = system.spawn(supervisor, std::move(children), backoff_policy{});
  // Under systemd (Type=notify): ready now, and watchdog pings while the
  // actor system runs. Outside systemd these calls do nothing.
  notify_service_manager("READY=1");
  std::jthread watchdog;
  if (auto interval = service_watchdog_interval(::getpid()))
    watchdog = std::jthread{[interval = *interval, &system, root_supervisor,
                             log](std::stop_token stop) {
      std::mutex m;
      std::condition_variable_any wake;
      std::unique_lock lock{m};
      // A ping only after a heartbeat through the supervisor and every
      // actor under it came back (issue 16, item 8): a wedged actor stops the
      // pings, and systemd restarts the agent.
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(interval / 4);
      while (!stop.stop_requested()) {
        if (heartbeat(system, root_supervisor, wait))
          notify_service_manager("WATCHDOG=1");
        wake.wait_for(lock, stop, interval / 2, [] { return false; });
      }
    }};
  int received = 0;
  for (;;) {
    siginfo_t info{};
    received = sigwaitinfo(&signals, &info);
    if (received < 0)
      continue; // EINTR
    // While self-protection is on, only the supervisor, the service manager
    // and Vigil's own programs may stop the agent (SPEC §13).
    auto h = hive_file{p.hive_file()}.load();
    if (!(h && self_protection_enabled(*h, unix_now()))
        || stop_signal_allowed(p, info.si_pid, static_cast<int>(::getppid())))
      break;
    module_logger(log_module::self_protection)
      ->warn("signal {} from pid {} ignored: self-protection is on (stop with vigil-spconfig or "
             "the platform)",
             received, info.si_pid);
  }
  notify_service_manager("STOPPING=1");
  log->info("{} received: stopping", received == SIGTERM ? "SIGTERM" : "SIGINT");
  // Graceful within 5 s (SPEC §6): everything that matters is already synced
  // to the store, so an actor still busy on the network is not waited for.
  auto stopped = std::async(std::launch::async, [&] {
    {
      caf::scoped_actor waiter{system};
      waiter->monitor(root_supervisor);
      caf::anon_send_exit(root_supervisor, caf::exit_reason::user_shutdown);
      waiter->receive([](const caf::down_msg&) {});
    }
    // Last: the status actor writes what the others recorded on their way out.
    set_agent_status_sink(nullptr, {});
    caf::anon_send_exit(status_writer_actor, caf::exit_reason::user_shutdown);
    system.await_all_actors_done();
  });
  if (stopped.wait_for(std::chrono::seconds{4}) != std::future_status::ready) {
    log->warn("actors did not stop within 4 s; exiting anyway");
    logs->flush();
    ::_exit(restart_requested ? restart_exit_code : 0);
  }
  log->info(restart_requested ? "stopped: to be started again from the program files"
                              : "stopped");
  logs->flush();
  return restart_requested ? restart_exit_code : 0;
}
