#include "actors/protector.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <set>

#include "actors/identity_logic.hpp"
#include "actors/protector_host.hpp"
#include "actors/tamper_log.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "host/agent_status.hpp"
#include "host/logging.hpp"
#include "host/reg_format.hpp"
#include "host/self_protection.hpp"
#include "host/text_encoding.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

using self_pointer = protector_actor::stateful_pointer<protector_state>;

const std::string meta = "meta";
constexpr const char* baseline_key = "protect.baseline";
constexpr const char* reported_key = "protect.tamper_reported";

auto log() {
  return module_logger(log_module::self_protection);
}

/// "pid 42 (/usr/bin/cp, uid 1000)", or "an unknown process".
std::string who(int64_t pid, const std::string& exe, int64_t uid) {
  if (pid <= 0)
    return "an unknown process";
  return "pid " + std::to_string(pid) + " (" + (exe.empty() ? "executable unknown" : exe)
         + (uid >= 0 ? ", uid " + std::to_string(uid) : "") + ")";
}

/// Logs `event`, appends it to the journal and the status.
void report(const paths& p, protocol::tamper_event event) {
  log()->warn("tamper: {} {} {} by {}: {}", event.kind, event.target, event.what,
              who(event.pid, event.exe, event.uid), event.action);
  auto journaled = append_tamper_event(p, event);
  if (!journaled)
    log()->error("cannot journal a tamper event: {}", render(journaled.error()));
  auto line = event.kind + " " + event.target + " " + event.what + " by "
              + who(event.pid, event.exe, event.uid) + ": " + event.action;
  record_agent_status([&](agent_status& s) {
    s.last_tamper = line;
    s.last_tamper_at = event.at;
    ++s.tamper_events;
  });
}

/// The latest change fanotify saw to `file`, if any.
const file_change* latest_change(const std::vector<file_change>& recent, const fs::path& file) {
  for (auto it = recent.rbegin(); it != recent.rend(); ++it)
    if (it->file == file)
      return &*it;
  return nullptr;
}

void attribute(protocol::tamper_event& event, const file_change* change) {
  if (change == nullptr)
    return;
  event.pid = change->pid;
  event.exe = change->exe;
  event.uid = change->uid;
}

void save_baseline(protector_state& st) {
  if (!st.baseline)
    return;
  if (auto ok = st.store->put(meta, baseline_key, render_hive(*st.baseline), {true}); !ok)
    log()->error("cannot keep the protected values: {}", render(ok.error()));
}

/// Self-protection was asked for and this build cannot give it
/// (protector_host.hpp): said once in the log and the agent status, and
/// again only after it was asked off in between.
void report_unavailable(self_pointer self, const caf::error& why) {
  auto& st = self->state;
  auto reason = render(why);
  if (st.unavailable == reason)
    return;
  st.unavailable = reason;
  log()->error("self-protection was asked for and stays off: {}", reason);
  record_agent_status([&](agent_status& s) {
    s.self_protection = false;
    s.tamper_watch = "unsupported";
  });
}

void turn_on(self_pointer self, const hive& h, bool at_start) {
  auto& st = self->state;
  if (auto available = self_protection_available(); !available) {
    report_unavailable(self, available.error());
    return;
  }
  st.on = true;
  // At start the stored baseline wins: the hive may have been changed while
  // the agent was down. Turned on while running: the hive as it is now.
  st.baseline.reset();
  if (at_start)
    if (auto stored = st.store->get(meta, baseline_key); stored && *stored)
      if (auto parsed = parse_hive(**stored, baseline_key))
        st.baseline = std::move(*parsed);
  if (!st.baseline) {
    st.baseline = protected_values_of(h);
    save_baseline(st);
  }
  if (auto manifest = load_program_manifest(st.root_paths, st.version))
    st.files.emplace(st.root_paths, std::move(*manifest));
  else
    log()->error("program files cannot be checked: {}", render(manifest.error()));
  st.checked_metadata.reset();
  st.reference_forged = false;
  std::vector<fs::path> dirs{st.root_paths.program_files(), st.root_paths.hive_file().parent_path()};
  if (st.files) {
    std::set<fs::path> parents;
    for (auto& f : st.files->manifest().files)
      parents.insert((st.root_paths.program_files() / f.path).parent_path());
    dirs.insert(dirs.end(), parents.begin(), parents.end());
  }
  st.watch = tamper_watch::open(dirs);
  keep_service_protection(st.root_paths, true);
  auto kind = st.watch ? st.watch->kind() : std::string{"polling"};
  record_agent_status([&](agent_status& s) {
    s.self_protection = true;
    s.self_protection_off_until = 0;
    s.tamper_watch = kind;
  });
  log()->info("self-protection is on: {} program files checked, changes watched with {}",
              st.files ? st.files->manifest().files.size() : 0, kind);
}

void turn_off(self_pointer self, int64_t off_until) {
  auto& st = self->state;
  st.on = false;
  st.watch.reset();
  st.files.reset();
  st.baseline.reset();
  st.recent.clear();
  (void) st.store->erase(meta, baseline_key, {true});
  keep_service_protection(st.root_paths, false);
  record_agent_status([&](agent_status& s) {
    s.self_protection = false;
    s.self_protection_off_until = off_until;
    s.tamper_watch.clear();
  });
  if (off_until > 0)
    log()->warn("self-protection is off until {} (turned off with an SPFKEY)", off_until);
  else
    log()->info("self-protection is off");
}

/// The tamper event of a reference list that does not match the signed
/// release metadata: nothing is restored from that copy, since restoring from
/// a forged copy would install the forgery.
protocol::tamper_event forged_reference(const caf::error& mismatch) {
  protocol::tamper_event event;
  event.at = unix_now();
  event.kind = "file";
  event.target = "reference list";
  event.what = "does not match the signed release metadata (" + render(mismatch) + ")";
  event.action = "program files are not restored from this copy; reinstall the release to "
                 "repair it";
  return event;
}

/// Checks the reference list of program files against the signed release
/// metadata of the running version (SPEC §13) when the kept metadata changed
/// since the last check: the platform offers it with every check-in.
void check_reference(self_pointer self) {
  auto& st = self->state;
  if (!st.files || !st.keys)
    return;
  auto file = release_metadata_file(st.root_paths);
  std::error_code err;
  auto size = fs::file_size(file, err);
  auto modified = err ? fs::file_time_type{} : fs::last_write_time(file, err);
  if (err || st.checked_metadata == std::make_pair(size, modified))
    return; // none kept yet, or the one already checked
  st.checked_metadata = std::make_pair(size, modified);
  std::string unusable;
  auto verified = verify_reference_list(st.root_paths, st.files->manifest(), st.keys.get(),
                                        &unusable);
  if (!unusable.empty())
    log()->warn("the release metadata kept for {} cannot be used: {}", st.version, unusable);
  if (verified) {
    st.reference_forged = false;
    if (*verified)
      log()->info("the reference copy of the {} program files of {} matches the signed "
                  "release metadata",
                  st.files->manifest().files.size(), st.version);
    return;
  }
  st.reference_forged = true;
  report(st.root_paths, forged_reference(verified.error()));
}

void check_files(self_pointer self) {
  auto& st = self->state;
  if (!st.files)
    return;
  check_reference(self);
  if (st.reference_forged)
    return; // reported once; a forged list cannot tell a good file from a bad one
  for (auto& found : st.files->check()) {
    protocol::tamper_event event;
    event.at = unix_now();
    event.kind = "file";
    event.target = found.path;
    event.what = found.what;
    attribute(event, latest_change(st.recent, st.root_paths.program_files() / found.path));
    auto restored = st.files->restore(found.path);
    event.action = restored ? "restored" : "not restored: " + render(restored.error());
    report(st.root_paths, std::move(event));
  }
}

void check_hive(self_pointer self, hive h) {
  auto& st = self->state;
  if (!st.baseline)
    return;
  // The identity actor is the HostID's authority: once provisioned, the
  // HostID it holds the token for is the one to keep. While it provisions
  // anew (no token), the hive's HostID is its to change.
  auto token_host = st.store->get(meta, identity_keys::token_host);
  bool provisioning = !token_host || !*token_host || (*token_host)->empty();
  if (!provisioning) {
    auto* kept = st.baseline->get(agent_key, "HostID");
    if (kept == nullptr || kept->as_string() != std::optional<std::string>{**token_host}) {
      st.baseline->set(agent_key, reg_value::sz("HostID", **token_host));
      save_baseline(st);
    }
  }
  auto changes = compare_protected_values(h, *st.baseline);
  std::erase_if(changes, [&](const hive_tamper& t) {
    return provisioning && iequals(t.name, "HostID");
  });
  // Keys used since (vigil-uninstall, vigil-spconfig) only add to UsedKeys.
  if (auto* used = h.get(self_protection_key(), "UsedKeys");
      used && std::none_of(changes.begin(), changes.end(),
                           [](const hive_tamper& t) { return t.name == "UsedKeys"; })) {
    if (auto* before = st.baseline->get(self_protection_key(), "UsedKeys");
        before == nullptr || !(*before == *used)) {
      st.baseline->set(self_protection_key(), *used);
      save_baseline(st);
    }
  }
  if (changes.empty())
    return;
  auto restored = st.hive->update([&](hive& current) -> caf::expected<void> {
    restore_protected_values(current, *st.baseline);
    if (provisioning)
      if (auto* now_id = h.get(agent_key, "HostID"))
        current.set(agent_key, *now_id);
    return {};
  });
  auto* change = latest_change(st.recent, st.root_paths.hive_file());
  for (auto& t : changes) {
    protocol::tamper_event event;
    event.at = unix_now();
    event.kind = "hive";
    event.target = t.key + "\\" + t.name;
    event.what = t.what;
    attribute(event, change);
    event.action = restored ? "restored" : "not restored: " + render(restored.error());
    report(st.root_paths, std::move(event));
  }
}

/// The built-in supervisor and the agent watch each other (SPEC §13): when
/// the supervisor is gone, the agent starts one that takes it over.
void check_supervisor(self_pointer self) {
  auto& st = self->state;
  if (auto event = revive_supervisor(st.root_paths, st.options.supervisor_pidfile))
    report(st.root_paths, std::move(*event));
}

/// Schedules the next round after `delay` (at once: 0), voiding any other.
void schedule_round(self_pointer self, std::chrono::milliseconds delay) {
  auto generation = ++self->state.tick_generation;
  if (delay.count() <= 0)
    self->send(self, tick_atom::value, generation);
  else
    self->delayed_send(self, delay, tick_atom::value, generation);
}

void round(self_pointer self) {
  auto& st = self->state;
  if (st.on && st.watch) {
    auto changes = st.watch->wait(st.options.tick);
    st.recent.insert(st.recent.end(), changes.begin(), changes.end());
    if (st.recent.size() > 256)
      st.recent.erase(st.recent.begin(), st.recent.end() - 256);
  }
  auto h = st.hive->load();
  if (!h) {
    log()->error("cannot read the hive: {}", render(h.error()));
  } else {
    auto state = read_protection_state(*h, unix_now());
    st.off_until = state.off_until.value_or(0);
    if (state.on() && !st.on)
      turn_on(self, *h, false);
    else if (!state.on() && st.on && state.off_until)
      turn_off(self, *state.off_until); // a valid SPFKEY (vigil-spconfig)
    // Otherwise `Enabled` changed by hand: tampering, which check_hive puts back.
    if (st.on) {
      check_files(self);
      check_hive(self, std::move(*h));
      check_supervisor(self);
      st.recent.clear();
    }
  }
  if (st.on && st.watch)
    schedule_round(self, std::chrono::seconds{0});
  else if (st.on || !st.options.bus)
    schedule_round(self, st.options.tick);
  else if (auto left = st.off_until - unix_now(); left >= 0)
    // Off by an SPFKEY: on again when the key expires, hive change or not.
    schedule_round(self, std::chrono::seconds{left + 1});
  // Otherwise off: the next hive change (changed_atom) starts a round.
}

} // namespace

size_t repair_program_files(const paths& p, const std::string& version,
                            const trusted_keys* keys) {
  auto manifest = load_program_manifest(p, version);
  if (!manifest) {
    log()->error("program files cannot be checked: {}", render(manifest.error()));
    return 0;
  }
  // A forged list would have the forgery "restored": nothing is, then.
  if (auto verified = verify_reference_list(p, *manifest, keys); !verified) {
    report(p, forged_reference(verified.error()));
    return 0;
  }
  program_file_checker files{p, std::move(*manifest)};
  auto found = files.check();
  for (auto& f : found) {
    protocol::tamper_event event;
    event.at = unix_now();
    event.kind = "file";
    event.target = f.path;
    event.what = f.what;
    auto restored = files.restore(f.path);
    event.action = restored ? "restored before the agent started again"
                            : "not restored: " + render(restored.error());
    report(p, std::move(event));
  }
  return found.size();
}

protector_actor::behavior_type protector(protector_actor::stateful_pointer<protector_state> self,
                                         paths root_paths, std::shared_ptr<kv_store> store,
                                         std::shared_ptr<hive_store> hive, std::string version,
                                         std::shared_ptr<const trusted_keys> keys,
                                         protector_options options) {
  auto& st = self->state;
  st.root_paths = std::move(root_paths);
  st.store = std::move(store);
  st.hive = std::move(hive);
  st.version = std::move(version);
  st.keys = std::move(keys);
  st.options = std::move(options);
  if (auto h = st.hive->load()) {
    auto state = read_protection_state(*h, unix_now());
    // Protection that was on when the agent stopped (its baseline kept) and
    // is off now without a key was turned off by hand while it was down.
    bool kept_on = false;
    if (!state.on() && !state.off_until)
      if (auto stored = st.store->get(meta, baseline_key); stored && *stored)
        if (auto parsed = parse_hive(**stored, baseline_key))
          if (auto* enabled = parsed->get(self_protection_key(), "Enabled"))
            kept_on = enabled->as_number() && *enabled->as_number() == 1;
    if (state.on() || kept_on) {
      turn_on(self, *h, true);
    } else {
      keep_service_protection(st.root_paths, false);
      record_agent_status([&](agent_status& s) {
        s.self_protection = false;
        s.self_protection_off_until = state.off_until.value_or(0);
        s.tamper_watch.clear();
      });
    }
  }
  if (st.options.bus)
    st.options.bus->subscribe(caf::actor_cast<caf::actor>(self));
  schedule_round(self, std::chrono::seconds{0});
  return {
    [=](tick_atom, uint64_t generation) {
      if (generation == self->state.tick_generation)
        round(self);
    },
    [=](changed_atom) {
      // While on, the rounds run anyway; while off, this is when to look.
      if (!self->state.on)
        schedule_round(self, std::chrono::seconds{0});
    },
    [=](protect_atom, bool on, bool signed_order) -> bool {
      auto& st = self->state;
      if (!on && !signed_order) {
        // An unsigned profile may raise protection, never lower it.
        return st.on;
      }
      if (auto available = self_protection_available(); on && !available) {
        // Not recorded as asked for: the hive (and the health check reading
        // it) would say protection is on while nothing protects.
        report_unavailable(self, available.error());
        return false;
      }
      if (!on && !st.unavailable.empty()) { // no longer asked for: nothing to report
        st.unavailable.clear();
        record_agent_status([](agent_status& s) { s.tamper_watch.clear(); });
      }
      if (auto ok = set_protection_requested(*st.hive, on); !ok) {
        log()->error("cannot record self-protection {}: {}", on ? "on" : "off",
                     render(ok.error()));
        return st.on;
      }
      if (st.baseline) {
        st.baseline->set(self_protection_key(), reg_value::dword("Enabled", on ? 1 : 0));
        save_baseline(st);
      }
      log()->info("the platform turned self-protection {}", on ? "on" : "off");
      auto h = st.hive->load();
      if (h) {
        auto state = read_protection_state(*h, unix_now());
        if (state.on() && !st.on)
          turn_on(self, *h, false);
        else if (!state.on() && st.on)
          turn_off(self, state.off_until.value_or(0));
      }
      if (st.on) // rounds at the protection's pace from now on
        schedule_round(self, std::chrono::seconds{0});
      return st.on;
    },
    [=](tamper_atom) -> caf::result<std::vector<protocol::tamper_event>, bool> {
      uint64_t after = 0;
      if (auto stored = self->state.store->get(meta, reported_key); stored && *stored)
        after = static_cast<uint64_t>(parse_int64(**stored).value_or(0));
      return {read_tamper_events(self->state.root_paths, after), self->state.on};
    },
    [=](tamper_atom, uint64_t seq) {
      uint64_t after = 0;
      if (auto stored = self->state.store->get(meta, reported_key); stored && *stored)
        after = static_cast<uint64_t>(parse_int64(**stored).value_or(0));
      if (seq > after)
        (void) self->state.store->put(meta, reported_key, std::to_string(seq), {true});
    },
  };
}

} // namespace vigil
