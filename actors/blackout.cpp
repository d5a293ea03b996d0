#include "actors/blackout.hpp"

#include <algorithm>
#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>
#include <ctime>

#include "actors/checkin.hpp"
#include "common/error.hpp"
#include "host/agent_status.hpp"
#include "host/logging.hpp"
#include "protocol/profile.hpp"

namespace vigil {

namespace {

using self_pointer = blackout_actor::stateful_pointer<blackout_state>;

int64_t unix_seconds(blackout_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

/// "2025-03-30T01:00:00Z", for logs.
std::string utc_text(blackout_clock::time_point t) {
  std::time_t seconds = blackout_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string until_text(const blackout_period& p) {
  return p.until ? "until " + utc_text(*p.until) : std::string{"with no end (every hour of the week)"};
}

/// Rebuilds the schedule when the stored profile changed; logs what it left out.
void load_profile(self_pointer self) {
  auto& st = self->state;
  auto stored = st.store->get("config", checkin_keys::profile);
  if (!stored) {
    module_logger(log_module::config)
      ->error("blackout windows: cannot read the stored profile: {}", render(stored.error()));
    return; // keep the schedule we have
  }
  if (*stored == st.profile_body)
    return;
  st.profile_body = *stored;
  std::vector<protocol::blackout_window> windows;
  auto log = module_logger(log_module::config);
  if (*stored) {
    std::vector<caf::error> dropped;
    auto p = protocol::parse_profile_body(**stored, dropped);
    for (auto& e : dropped)
      log->error("blackout window ignored: {}", render(e));
    if (p)
      windows = std::move(p->blackout_windows);
    else
      log->error("blackout windows: the stored profile is unusable: {}", render(p.error()));
  }
  st.schedule = blackout_schedule{windows, st.options.host_zone};
  for (auto& ignored : st.schedule.ignored()) {
    auto& w = windows[ignored.index];
    std::string days;
    for (auto& d : w.days)
      days += (days.empty() ? "" : ",") + d;
    log->error("blackout window {} {}-{} {} ignored: {}", days, w.start, w.end,
               w.time_zone.value_or("(host time zone)"), ignored.reason);
  }
  log->info("blackout schedule: {} window(s), host time zone {}", st.schedule.size(),
            st.schedule.host_zone());
}

/// What the subscribers may do now: the schedule at `status`, the network as
/// announced (its end waits for the resume jitter).
blackout_answer announced(const blackout_state& st, const blackout_status& status) {
  auto out = to_answer(status);
  out.network_allowed = !st.network_announced_blocked;
  return out;
}

/// Tells every subscriber `answer`.
void push(self_pointer self, const blackout_answer& answer) {
  for (auto& subscriber : self->state.subscribers)
    caf::anon_send(subscriber, blackout_atom::value, answer);
}

/// Logs and announces a change of one kind of blackout.
void note_transition(self_pointer self, const char* kind, bool was, const blackout_period& now) {
  if (was == now.blocked)
    return;
  auto& st = self->state;
  auto log = module_logger(log_module::network);
  if (std::string_view{kind} == "network")
    record_agent_status([&](agent_status& s) { // for vigil-healthcheck
      s.in_blackout = now.blocked;
      s.blackout_until = now.blocked && now.until
                           ? std::chrono::duration_cast<std::chrono::seconds>(
                               now.until->time_since_epoch()).count()
                           : 0;
    });
  bool network = std::string_view{kind} == "network";
  if (now.blocked) {
    log->info("{} blackout window entered, {}", kind, until_text(now));
    if (network)
      st.network_announced_blocked = true; // a transfer in progress stops between chunks
    return;
  }
  log->info("{} blackout window ended", kind);
  if (network && !st.resume_pending) {
    st.resume_pending = true;
    auto delay = resume_jitter(st.random);
    log->info("resuming in {} ms (jitter)", delay.count());
    self->delayed_send(self, delay, blackout_resume_atom::value);
  }
}

/// The schedule now: logs and announces transitions, and sets the timer for
/// the next boundary.
blackout_status evaluate(self_pointer self) {
  auto& st = self->state;
  auto now = st.options.now();
  auto status = st.schedule.at(now);
  auto before = announced(st, status);
  before.collection_allowed = !st.collection_blocked;
  note_transition(self, "network", st.network_blocked, status.network);
  note_transition(self, "collection", st.collection_blocked, status.collection);
  st.network_blocked = status.network.blocked;
  st.collection_blocked = status.collection.blocked;
  auto after = announced(st, status);
  if (after.network_allowed != before.network_allowed
      || after.collection_allowed != before.collection_allowed)
    push(self, after);
  // The next boundary: the end of a blocking period or the start of the next.
  auto next = now + st.options.max_timer;
  for (auto& p : {status.network, status.collection})
    for (auto& t : {p.until, p.next_start})
      if (t && *t > now)
        next = std::min(next, *t);
  // Whole seconds, at least one: a boundary is never missed by rounding down,
  // and a wall clock slightly behind the actor clock cannot spin the timer.
  // A pending timer that fires no later stays: queries must not pile up timers.
  if (st.timer_due && *st.timer_due <= next)
    return status;
  auto delay = std::max(std::chrono::ceil<std::chrono::seconds>(next - now), std::chrono::seconds{1});
  st.timer_due = now + delay;
  self->delayed_send(self, delay, blackout_tick_atom::value, ++st.generation);
  return status;
}

} // namespace

blackout_answer to_answer(const blackout_status& status) {
  blackout_answer out;
  out.network_allowed = !status.network.blocked;
  out.collection_allowed = !status.collection.blocked;
  if (status.network.blocked)
    out.network_until = status.network.until ? unix_seconds(*status.network.until) : blackout_no_end;
  if (status.collection.blocked)
    out.collection_until =
      status.collection.until ? unix_seconds(*status.collection.until) : blackout_no_end;
  if (status.network.next_start)
    out.next_network_start = unix_seconds(*status.network.next_start);
  if (status.collection.next_start)
    out.next_collection_start = unix_seconds(*status.collection.next_start);
  return out;
}

blackout_actor::behavior_type blackout(blackout_actor::stateful_pointer<blackout_state> self,
                                       std::shared_ptr<kv_store> store,
                                       std::shared_ptr<actor_bus> bus, blackout_options options) {
  auto& st = self->state;
  st.store = std::move(store);
  st.bus = std::move(bus);
  st.options = std::move(options);
  if (st.options.host_zone.empty())
    st.options.host_zone = host_time_zone();
  st.random.seed(st.options.seed ? *st.options.seed : std::random_device{}());
  st.bus->subscribe(caf::actor_cast<caf::actor>(self));
  load_profile(self);
  // Start from the truth without announcing it: everyone else is starting
  // too and asks before transmitting.
  auto status = st.schedule.at(st.options.now());
  st.network_blocked = status.network.blocked;
  st.network_announced_blocked = status.network.blocked;
  st.collection_blocked = status.collection.blocked;
  auto log = module_logger(log_module::network);
  if (status.network.blocked)
    log->info("starting inside a network blackout window, {}", until_text(status.network));
  if (status.collection.blocked)
    log->info("starting inside a collection blackout window, {}", until_text(status.collection));
  evaluate(self);
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& subs = self->state.subscribers;
    subs.erase(std::remove_if(subs.begin(), subs.end(),
                              [&](const caf::actor& a) { return a.address() == msg.source; }),
               subs.end());
  });
  return {
    [=](blackout_query_atom) { return announced(self->state, evaluate(self)); },
    [=](blackout_subscribe_atom, const caf::actor& subscriber) {
      self->monitor(subscriber);
      self->state.subscribers.push_back(subscriber);
      caf::anon_send(subscriber, blackout_atom::value, announced(self->state, evaluate(self)));
    },
    [=](changed_atom) {
      load_profile(self);
      evaluate(self);
    },
    [=](blackout_tick_atom, uint64_t generation) {
      if (generation != self->state.generation)
        return; // replaced by an earlier timer
      self->state.timer_due.reset();
      evaluate(self);
    },
    [=](blackout_resume_atom) {
      auto& st = self->state;
      st.resume_pending = false;
      if (st.network_blocked || !st.network_announced_blocked)
        return; // blocked again meanwhile, or nothing to resume
      st.network_announced_blocked = false;
      module_logger(log_module::network)->info("blackout over: resuming contact with the platform");
      push(self, announced(st, st.schedule.at(st.options.now())));
    },
  };
}

} // namespace vigil
