// The agent's run (actors/agent_run.hpp): the store, the identity, the
// actors under their supervisor, and the graceful stop (SPEC §6).
#include "actors/agent_run.hpp"

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "actors/blackout.hpp"
#include "actors/checkin.hpp"
#include "actors/delta.hpp"
#include "actors/hive_writer.hpp"
#include "actors/identity.hpp"
#include "actors/module.hpp"
#include "actors/orders.hpp"
#include "actors/protector.hpp"
#include "actors/proxy_resolver.hpp"
#include "actors/registry_watch.hpp"
#include "actors/selfpatch.hpp"
#include "actors/state_repair.hpp"
#include "actors/status.hpp"
#include "actors/supervisor.hpp"
#include "actors/transport.hpp"
#include "actors/uploader.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "host/agent_status.hpp"
#include "host/atomic_file.hpp"
#include "host/fatal_fault.hpp"
#include "host/fingerprint.hpp"
#include "host/inventory.hpp"
#include "host/secret_box.hpp"
#include "host/supervisor.hpp"
#include "protocol/modules.hpp"
#include "storage/rocksdb_store.hpp"
#include "vigil_version.hpp"

namespace vigil {

namespace {

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

} // namespace

int fail_agent_start(const std::string& message) {
  std::cerr << "vigil-agent: " << message << "\n";
  module_logger(log_module::agent)->error("{}", message);
  if (auto manager = global_log_manager())
    manager->flush();
  return 1;
}

int print_module_snapshot(const paths& p, const std::string& module) {
  // What a module collected last (issue 5): one "key<TAB>value" line per
  // row, read from the file the running agent writes atomically.
  auto text = read_whole_file(snapshot_file(p, module));
  if (!text) {
    std::cerr << "vigil-agent: no snapshot of " << module << " yet (" << render(text.error())
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

caf::expected<agent_start> prepare_agent_start(const paths& p) {
  agent_start start{p};
  start.logs = std::make_shared<log_manager>(p);
  set_global_log_manager(start.logs);
  // A crash or an uncaught exception says so in Agent.log before the end.
  if (!start.logs->directory().empty())
    report_fatal_faults(start.logs->directory() / "Agent.log");
  auto log = module_logger(log_module::agent);
  start.hive = open_hive_store(p);
  auto loaded = start.hive->load();
  if (!loaded)
    return make_error(code_of(loaded.error()), "cannot read the hive: " + render(loaded.error()));
  if (auto* level = loaded->get(std::string{agent_key} + "\\Logs", "TraceLevel"))
    if (auto n = level->as_number())
      start.trace_level = static_cast<uint32_t>(*n);
  start.logs->set_trace_level_override(start.trace_level);
  auto settings = read_agent_settings(*loaded);
  if (!settings)
    return settings.error();
  start.settings = std::move(*settings);
  // The platform's root key, pinned at install (DESIGN "One trust root").
  // Without it the agent runs on, but accepts no manifest: say so loudly.
  if (auto keys = read_pinned_keys(*loaded))
    start.pinned = std::make_shared<const trusted_keys>(std::move(*keys));
  else
    log->error("{}: manifests will be refused", render(keys.error()));
  auto base = parse_url(start.settings.web_service_uri);
  if (!base || base->scheme != "https")
    return make_error(ec::invalid_argument,
                      "WebServiceUri '" + start.settings.web_service_uri + "' is not an https URL");
  start.base = std::move(*base);
  start.running_version = VIGIL_VERSION;
  if (auto installed = read_whole_file(p.version_file()))
    if (auto v = trim_blanks_and_line_breaks(*installed); !v.empty())
      start.running_version = std::string{v};
  std::error_code ignored;
  std::filesystem::create_directories(p.state_dir(), ignored);
  std::filesystem::permissions(p.state_dir(), std::filesystem::perms::owner_all, ignored);
  return start;
}

int run_agent(agent_start start, agent_host_hooks hooks) {
  const paths& p = start.root;
  auto logs = start.logs;
  auto log = module_logger(log_module::agent);
  auto hive = start.hive;
  auto pinned = start.pinned;
  auto running_version = start.running_version;
  auto* base = &start.base;
  auto* settings = &start.settings;
  auto fail = [](const std::string& message) { return fail_agent_start(message); };
  // Set by the self-patch actor's restart: the agent stops gracefully and
  // exits with agent_restart_exit_code, so what started it starts it again
  // from the program files.
  auto restart_requested = std::make_shared<std::atomic<bool>>(false);
  auto request_stop = hooks.request_stop;
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
    s.pid = hooks.process_id;
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
  if (auto watchable = open_hive_watcher(p); !watchable)
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
         auto h = open_hive_store(p)->load();
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
       auto again = open_hive_watcher(p);
       std::shared_ptr<hive_watcher> w = again ? std::move(*again) : nullptr;
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
         selfpatch_options{.now = {}, .restart = [restart_requested, request_stop] {
           *restart_requested = true;
           request_stop();
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
  if (hooks.ready)
    hooks.ready();
  std::jthread watchdog;
  if (hooks.watchdog_interval && hooks.watchdog_ping)
    watchdog = std::jthread{[interval = *hooks.watchdog_interval, ping = hooks.watchdog_ping,
                             &system, root_supervisor](std::stop_token stop) {
      std::mutex m;
      std::condition_variable_any wake;
      std::unique_lock lock{m};
      // A ping only after a heartbeat through the supervisor and every
      // actor under it came back (issue 16, item 8): a wedged actor stops the
      // pings, and the service manager restarts the agent.
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(interval / 4);
      while (!stop.stop_requested()) {
        if (heartbeat(system, root_supervisor, wait))
          ping();
        wake.wait_for(lock, stop, interval / 2, [] { return false; });
      }
    }};
  auto why = hooks.wait_for_stop();
  if (hooks.stopping)
    hooks.stopping();
  log->info("{}: stopping", why);
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
  int code = *restart_requested ? agent_restart_exit_code : 0;
  if (stopped.wait_for(std::chrono::seconds{4}) != std::future_status::ready) {
    log->warn("actors did not stop within 4 s; exiting anyway");
    logs->flush();
    std::_Exit(*restart_requested ? agent_restart_exit_code : 0);
  }
  code = *restart_requested ? agent_restart_exit_code : 0;
  log->info(code == agent_restart_exit_code ? "stopped: to be started again from the program files"
                                            : "stopped");
  logs->flush();
  return code;
}

} // namespace vigil
