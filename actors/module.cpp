#include "actors/module.hpp"

#include <caf/event_based_actor.hpp>
#include <ctime>
#include <nlohmann/json.hpp>

#include "actors/checkin.hpp"
#include "actors/delta_store.hpp"
#include "actors/scan_runner.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "host/agent_status.hpp"
#include "host/atomic_file.hpp"
#include "host/logging.hpp"
#include "protocol/manifest.hpp"
#include "protocol/profile.hpp"

namespace vigil {

namespace {

using self_pointer = module_actor::stateful_pointer<module_state>;
using actor_time = caf::actor_clock::time_point;

constexpr std::chrono::seconds max_check_delay{60};
/// How long after a scan that could not be recorded the next attempt waits.
constexpr std::chrono::seconds failed_scan_retry{30};

/// Whether a failed scan's retry delay has not passed yet.
bool retry_pending(self_pointer self) {
  auto& st = self->state;
  return st.retry_after && self->clock().now() < *st.retry_after;
}

module_settings settings_of(kv_store& store, const std::string& module) {
  module_settings out;
  out.activated = module == "Inventory";
  auto stored = store.get("config", checkin_keys::profile);
  if (!stored || !*stored)
    return out;
  std::vector<caf::error> dropped;
  auto p = protocol::parse_profile_body(**stored, dropped);
  if (!p)
    return out;
  for (auto& m : p->modules)
    if (m.name == module) {
      out.activated = out.activated || m.activated;
      out.interval = std::chrono::seconds{m.scan_interval_s};
      out.cpu_limit = static_cast<uint32_t>(m.cpu_limit);
    }
  return out;
}

void set_on_demand(self_pointer self, uint32_t value) {
  auto& st = self->state;
  auto key = scan_on_demand_key(st.module);
  update_hive(
    st.hive_writer, *st.hive,
    [key, value](vigil::hive& h) -> caf::expected<void> {
      h.set(key, reg_value::dword("ScanOnDemand", value));
      return {};
    },
    key + "\\ScanOnDemand=" + std::to_string(value));
}

void start_scan(self_pointer self, const std::string& reason, uint32_t cpu_limit) {
  auto& st = self->state;
  auto stored = st.store->get("manifest", st.module);
  std::optional<protocol::manifest> manifest;
  if (stored && *stored)
    if (auto m = protocol::parse_body<protocol::manifest>(**stored))
      manifest = std::move(*m);
  auto log = module_logger(parse_log_module(st.module).value_or(log_module::agent));
  if (!manifest) {
    log->warn("{} scan waits: no manifest for {} yet", reason, st.module);
    return;
  }
  st.scanning = true;
  record_agent_status([&](agent_status& s) { // for vigil-healthcheck (issue 8)
    auto& m = s.module(st.module);
    m.state = module_run_state::scanning;
    m.last_scan_start = unix_now();
  });
  // A crash from here until the delta is recorded leaves this mark: the next
  // start scans again instead of waiting a whole interval.
  (void) st.store->put("meta", scan_keys::started(st.module), reason);
  if (reason == "on-demand")
    set_on_demand(self, scan_on_demand::in_progress);
  log->info("{} scan of {} started (manifest v{}, CPU limit {} %)", reason, st.module,
            manifest->version, cpu_limit);
  auto worker = st.launcher(self, *manifest, cpu_limit, st.stop_scans);
  self->link_to(worker);
  auto started = std::chrono::steady_clock::now();
  auto version = manifest->version;
  auto done = [=](bool recorded) {
    auto& st = self->state;
    st.scanning = false;
    if (recorded) {
      st.last_scan_end = self->clock().now();
      st.retry_after.reset();
    } else {
      // Nothing of this scan reached the store (a full disk, a failed
      // collector run): try again soon, not an interval later.
      st.retry_after = self->clock().now() + failed_scan_retry;
      self->delayed_send(self, failed_scan_retry, changed_atom::value);
    }
    record_agent_status([&](agent_status& s) { // the delta actor may have set pending_upload
      auto& m = s.module(st.module);
      if (m.state == module_run_state::scanning)
        m.state = module_run_state::idle;
      if (recorded) {
        m.last_scan_end = unix_now();
        m.last_error.clear();
        m.last_error_code.clear();
      }
    });
    if (reason == "on-demand") // a failed request stays requested
      set_on_demand(self, recorded ? scan_on_demand::completed : scan_on_demand::requested);
    // Any completed scan, on-demand and startup included, restarts the
    // interval from now (SPEC §8): reschedule from the new end time, and
    // start an on-demand request that had to wait for this scan.
    self->send(self, changed_atom::value);
  };
  self->request(worker, caf::infinite, run_atom::value)
    .then(
      [=](const snapshot_ptr& rows) {
        log->info("{} scan of {} done: {} rows in {} ms", reason, self->state.module, rows->size(),
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count());
        self->request(self->state.delta, caf::infinite, record_atom::value, self->state.module,
                      version, rows)
          .then([=](uint64_t) { done(true); },
                [=](const caf::error& e) {
                  // Logged by the delta actor. The scan mark stays, so a
                  // restart scans again too.
                  done(false);
                });
      },
      [=](const caf::error& e) {
        log->error("{} scan of {} failed: {}", reason, self->state.module, render(e));
        record_agent_status([&](agent_status& s) {
          auto& m = s.module(self->state.module);
          m.last_error = "scan failed: " + render(e);
          m.last_error_code = to_string(code_of(e));
        });
        done(false);
      });
}

bool delta_pending(self_pointer self) {
  auto pending = has_pending_delta(*self->state.store, self->state.module);
  return pending && *pending;
}

/// Looks at the hive `h` and the profile: starts a requested scan if allowed.
void react(self_pointer self, const hive& h, bool startup) {
  auto& st = self->state;
  const auto& settings = st.settings;
  bool requested = startup ? scan_on_startup_requested(h, st.module)
                           : scan_on_demand_requested(h, st.module);
  if (!requested)
    return;
  if (retry_pending(self))
    return; // the value stays 1; the retry timer looks again
  auto decision = decide_demand({settings.activated, st.scanning, delta_pending(self)});
  if (decision != demand_decision::start) {
    if (decision != demand_decision::busy)
      module_logger(log_module::agent)
        ->info("{} request for {} ignored: {}", startup ? "startup" : "on-demand", st.module,
               to_string(decision));
    return; // the value stays 1 until the scan can start
  }
  start_scan(self, startup ? "startup" : "on-demand", on_demand_cpu_limit(h, st.module));
}

void check_schedule(self_pointer self) {
  auto& st = self->state;
  const auto& settings = st.settings;
  auto now = self->clock().now();
  record_agent_status([&](agent_status& s) { // for vigil-healthcheck (issue 8)
    auto& m = s.module(st.module);
    m.activated = settings.activated;
    m.scan_interval_s = settings.interval.count();
    if (!settings.activated)
      m.activated_since = 0;
    else if (m.activated_since == 0)
      m.activated_since = unix_now();
  });
  if (settings.activated && !st.scanning && !delta_pending(self) && !retry_pending(self)
      && collection_allowed_by(st.blackout, st.windows)) {
    auto due = next_scheduled_scan(st.last_scan_end, settings.interval, now);
    if (due <= now) {
      start_scan(self, "scheduled", settings.cpu_limit);
    } else {
      auto wait = std::chrono::duration_cast<std::chrono::seconds>(due - now);
      self->delayed_send(self, std::min(wait + std::chrono::seconds{1}, max_check_delay),
                         check_atom::value, ++st.generation);
      return;
    }
  }
  if (!st.scanning)
    self->delayed_send(self, max_check_delay, check_atom::value, ++st.generation);
}

/// The agent creates the ScanOnDemand key of an activated module (SPEC §8),
/// when the hive `h` lacks it.
void ensure_on_demand_key(self_pointer self, const hive& h) {
  auto& st = self->state;
  if (!st.settings.activated)
    return;
  auto key = scan_on_demand_key(st.module);
  if (h.get(key, "ScanOnDemand") != nullptr)
    return;
  update_hive(
    st.hive_writer, *st.hive,
    [key](vigil::hive& hv) -> caf::expected<void> {
      if (hv.get(key, "ScanOnDemand") == nullptr)
        hv.set(key, reg_value::dword("ScanOnDemand", scan_on_demand::completed));
      return {};
    },
    key + "\\ScanOnDemand (created)");
}

} // namespace

scan_launcher detached_scan_launcher(paths root_paths) {
  return [root_paths](caf::local_actor* self, const protocol::manifest& manifest,
                      uint32_t cpu_limit, std::shared_ptr<const std::atomic<bool>> stop) {
    return caf::actor_cast<caf::actor>(self->spawn<caf::detached>(
      [root_paths, manifest, cpu_limit, stop](caf::event_based_actor* worker) -> caf::behavior {
        return {[=](run_atom) -> caf::result<snapshot_ptr> {
          auto collected = run_manifest_until(root_paths, manifest, cpu_limit, *stop);
          if (!collected) {
            worker->quit();
            return collected.error();
          }
          auto rows = std::make_shared<const scan::snapshot>(std::move(*collected));
          auto file = snapshot_file(root_paths, manifest.module);
          if (auto ok = write_file_atomically(file, snapshot_jsonl(*rows), 0600); !ok)
            module_logger(log_module::agent)
              ->error("cannot write {}: {}", file.string(), render(ok.error()));
          worker->quit();
          return rows;
        }};
      }));
  };
}

std::filesystem::path snapshot_file(const paths& p, const std::string& module) {
  return p.state_dir() / "snapshots" / (module + ".jsonl");
}

module_actor::behavior_type module(module_actor::stateful_pointer<module_state> self,
                                   std::string name, paths root_paths,
                                   std::shared_ptr<kv_store> store,
                                   std::shared_ptr<hive_store> hive,
                                   std::shared_ptr<actor_bus> bus, delta_actor delta,
                                   scan_launcher launcher, blackout_actor blackout,
                                   hive_writer_actor hive_writer) {
  auto& st = self->state;
  st.hive_writer = std::move(hive_writer);
  // However the module stops, its scan worker stops too (at its next item).
  self->attach_functor([stop = st.stop_scans](const caf::error&) { stop->store(true); });
  st.delta = std::move(delta);
  st.blackout = std::move(blackout);
  if (st.blackout)
    self->send(st.blackout, blackout_subscribe_atom::value, caf::actor_cast<caf::actor>(self));
  st.launcher = std::move(launcher);
  st.module = std::move(name);
  st.root_paths = std::move(root_paths);
  st.store = std::move(store);
  st.hive = std::move(hive);
  // The last scan's end survives restarts as Unix time; the schedule counts in
  // the actor clock, so place it that long before the actor clock's now.
  if (auto last = st.store->get("meta", scan_keys::last_end(st.module)); last && *last) {
    if (auto end = parse_int64(**last)) {
      auto ago = std::chrono::seconds{std::max<int64_t>(0, std::time(nullptr) - *end)};
      st.last_scan_end = self->clock().now() - ago;
    } else { // garbled: as if never scanned, so a scan rebuilds it
      module_logger(log_module::agent)
        ->error("the stored end of the last {} scan is not a number; scanning again",
                st.module);
    }
  }
  bus->subscribe(caf::actor_cast<caf::actor>(self));
  st.settings = settings_of(*st.store, st.module);
  auto h = st.hive->load();
  if (h) {
    ensure_on_demand_key(self, *h);
    react(self, *h, true);
  }
  if (auto interrupted = st.store->get("meta", scan_keys::started(st.module));
      !st.scanning && interrupted && *interrupted && st.settings.activated
      && !delta_pending(self))
    start_scan(self, "interrupted", st.settings.cpu_limit);
  if (h && !st.scanning)
    react(self, *h, false);
  self->send(self, check_atom::value);
  return {
    [=](changed_atom) {
      // The hive or the profile changed: each is read once.
      auto& st = self->state;
      st.settings = settings_of(*st.store, st.module);
      auto h = st.hive->load();
      if (h) {
        ensure_on_demand_key(self, *h);
        if (!st.scanning)
          react(self, *h, false);
      }
      if (!st.scanning) // the profile or manifest may make a scan due
        check_schedule(self);
    },
    [=](check_atom) {
      if (!self->state.scanning)
        check_schedule(self);
    },
    [=](check_atom, uint64_t generation) {
      if (generation == self->state.generation && !self->state.scanning)
        check_schedule(self);
    },
    [=](blackout_atom, const blackout_answer& windows) {
      auto& st = self->state;
      bool opened = windows.collection_allowed
                    && !collection_allowed_by(st.blackout, st.windows);
      st.windows = windows;
      if (opened && !st.scanning)
        check_schedule(self);
    },
  };
}

} // namespace vigil
