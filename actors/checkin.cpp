#include "actors/checkin.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/text.hpp"
#include "host/agent_status.hpp"
#include "host/logging.hpp"
#include "protocol/error_response.hpp"
#include "protocol/signed_manifest.hpp"

namespace vigil {

namespace {

using self_pointer = checkin_actor::stateful_pointer<checkin_state>;

constexpr std::chrono::seconds not_provisioned_retry{1};

std::chrono::seconds interval_of(const checkin_state& st) {
  return std::chrono::seconds{st.profile ? st.profile->capi_interval_s
                                         : protocol::default_capi_interval_s};
}

/// Replaces any pending timer by one that fires after `delay`.
void schedule_next(self_pointer self, std::chrono::seconds delay) {
  self->delayed_send(self, delay, tick_atom::value, ++self->state.generation);
}

/// Applies a profile to what this process controls directly (the log level);
/// module actors subscribe to it as they come.
void apply_profile(const protocol::profile& p) {
  if (auto manager = global_log_manager())
    if (auto level = parse_log_level(p.log_level))
      manager->set_profile_level(*level);
}

void record_failure(self_pointer self, const caf::error& error, const std::string& what = {}) {
  auto why = what + render(error);
  module_logger(log_module::config)->warn("check-in failed: {}", why);
  (void) self->state.store->put("meta", checkin_keys::last_error, why);
  record_agent_status([&](agent_status& s) {
    s.last_checkin_error = why;
    s.last_checkin_error_code = to_string(code_of(error));
    s.last_checkin_error_at = unix_now();
  });
}

/// What vigil-healthcheck shows of the profile (issue 8).
void record_profile(const checkin_state& st) {
  record_agent_status([&](agent_status& s) {
    s.checkin_interval_s = interval_of(st).count();
    if (st.profile) {
      s.config_id = st.profile->config_id;
      s.profile_etag = st.profile->etag;
    }
  });
}

caf::error answer_error(const http_response& r) {
  return protocol::error_of_answer(static_cast<int>(r.status), r.body);
}

/// Fetches the manifests of the activated modules, conditionally on the cached
/// version; with `only_missing`, just those not cached yet (a fetch that
/// failed or was refused is tried again at the next check-in).
void fetch_manifests(self_pointer self, bool only_missing = false) {
  auto& st = self->state;
  if (!st.profile)
    return;
  for (auto& module : st.profile->modules) {
    if (!module.activated)
      continue;
    std::optional<int64_t> cached;
    if (auto stored = st.store->get("manifest", module.name); stored && *stored) {
      auto parsed = protocol::parse_body<protocol::manifest>(**stored);
      if (parsed)
        cached = parsed->version;
    }
    if (only_missing && cached)
      continue;
    http_request request;
    request.target = "v1/manifests/" + module.name;
    if (cached)
      request.fields.set("If-None-Match", "\"v" + std::to_string(*cached) + "\"");
    auto name = module.name;
    self->request(st.transport, caf::infinite, request_atom::value, std::move(request))
      .then(
        [=](const http_response& r) {
          auto log = module_logger(log_module::config);
          if (r.status == 304)
            return;
          if (r.status != 200) {
            log->warn("manifest {}: {}", name, render(answer_error(r)));
            return;
          }
          auto m = protocol::open_signed_manifest(r.body, name, self->state.keys.get(), cached);
          if (!m) {
            // Whoever serves it, an unverified manifest never runs: the last
            // good one stays, and the refusal is reported.
            log->error("manifest {} refused: {}; keeping the last verified one", name,
                       render(m.error()));
            record_agent_status([&](agent_status& s) {
              auto& status = s.module(name);
              status.last_error = "manifest refused: " + render(m.error());
              status.last_error_code = to_string(code_of(m.error()));
            });
            return;
          }
          (void) self->state.store->put("manifest", name, m->text, {true});
          log->info("manifest {} version {} verified and cached ({} collectors)", name,
                    m->content.version, m->content.collectors.size());
          self->state.bus->publish();
        },
        [=](const caf::error& e) {
          module_logger(log_module::config)->warn("manifest {}: {}", name, render(e));
        });
  }
}

void fetch_profile(self_pointer self) {
  auto& st = self->state;
  http_request request;
  request.target = "v1/profile";
  if (st.profile)
    request.fields.set("If-None-Match", st.profile->etag);
  self->request(st.transport, caf::infinite, request_atom::value, std::move(request))
    .then(
      [=](const http_response& r) {
        auto& st = self->state;
        auto log = module_logger(log_module::config);
        if (r.status == 304) {
          fetch_manifests(self);
          return;
        }
        if (r.status != 200) {
          record_failure(self, answer_error(r), "profile: ");
          return;
        }
        std::vector<caf::error> dropped;
        auto p = protocol::parse_profile_body(r.body, dropped);
        if (!p) {
          record_failure(self, p.error(), "profile: ");
          return;
        }
        for (auto& e : dropped) // SPEC §9b: a malformed window is ignored, logged
          log->error("blackout window ignored: {}", render(e));
        if (auto ok = st.store->put("config", checkin_keys::profile, r.body, {true}); !ok)
          log->error("cannot persist the profile: {}", render(ok.error()));
        bool new_interval = !st.profile || st.profile->capi_interval_s != p->capi_interval_s;
        st.profile = std::move(*p);
        apply_profile(*st.profile);
        record_profile(st);
        // The profile may turn self-protection on; only a signed order or an
        // SPFKEY turns it off (the profile is not signed).
        if (st.profile->self_protection && st.protector)
          caf::anon_send(st.protector, protect_atom::value, true, false);
        if (new_interval)
          schedule_next(self, interval_of(st));
        st.bus->publish(); // module actors re-read activation and intervals
        log->info("profile {} applied: check-in every {} s, log level {}, {} module(s)",
                  st.profile->etag, st.profile->capi_interval_s, st.profile->log_level,
                  st.profile->modules.size());
        fetch_manifests(self);
      },
      [=](const caf::error& e) { record_failure(self, e, "profile: "); });
}

void send_checkin(self_pointer self, const protocol::checkin_request& request) {
  auto& st = self->state;
  http_request http;
  http.method = "POST";
  http.target = "v1/checkin";
  http.body = protocol::to_body(request);
  st.in_flight = true;
  self->request(st.transport, caf::infinite, request_atom::value, std::move(http))
    .then(
      [=](const http_response& r) {
        auto& st = self->state;
        st.in_flight = false;
        schedule_next(self, interval_of(st));
        if (r.status != 200) {
          record_failure(self, answer_error(r));
          return;
        }
        auto answer = protocol::parse_body<protocol::checkin_response>(r.body);
        if (!answer) {
          record_failure(self, answer.error());
          return;
        }
        if (st.protector && !request.tamper_events.empty())
          self->send(st.protector, tamper_atom::value, request.tamper_events.back().seq);
        st.last_checkin = static_cast<int64_t>(std::time(nullptr));
        (void) st.store->put("meta", checkin_keys::last_checkin, std::to_string(st.last_checkin));
        (void) st.store->erase("meta", checkin_keys::last_error);
        record_agent_status([&](agent_status& s) {
          s.provisioned = true; // a check-in needs the agent token
          s.last_checkin = st.last_checkin;
          ++s.checkins_since_start;
          s.last_checkin_error.clear();
          s.last_checkin_error_code.clear();
          s.last_checkin_error_at = 0;
        });
        record_profile(st);
        // Every answer goes to the self-patch actor, an empty offer when the
        // platform targets no release: metadata it no longer offers is not
        // reported stale.
        if (st.selfpatch)
          self->send(st.selfpatch, offer_atom::value,
                     answer->upgrade.value_or(protocol::upgrade_offer{}));
        // Every answer goes to the orders actor, with or without orders: an
        // order no longer delivered has its acknowledgement.
        if (st.orders)
          self->send(st.orders, orders_atom::value, request.host_id, answer->signed_orders);
        if (!st.profile || answer->profile_etag != st.profile->etag)
          fetch_profile(self);
        else
          fetch_manifests(self, true);
      },
      [=](const caf::error& e) {
        self->state.in_flight = false;
        record_failure(self, e);
        schedule_next(self, interval_of(self->state));
      });
}

/// Adds the protector's unreported tamper events to `request`, then sends it.
void add_tamper_and_send(self_pointer self, protocol::checkin_request request) {
  auto& st = self->state;
  if (!st.protector) {
    send_checkin(self, request);
    return;
  }
  self->request(st.protector, std::chrono::seconds{5}, tamper_atom::value)
    .then(
      [=](const std::vector<protocol::tamper_event>& events, bool protection_on) mutable {
        request.tamper_events = events;
        request.self_protection = protection_on;
        send_checkin(self, request);
      },
      [=](const caf::error&) { send_checkin(self, request); });
}

/// Adds the orders actor's acknowledgements to `request`, then sends it.
void add_acks_and_send(self_pointer self, protocol::checkin_request request) {
  auto& st = self->state;
  if (!st.orders) {
    add_tamper_and_send(self, request);
    return;
  }
  self->request(st.orders, std::chrono::seconds{5}, caf::get_atom::value)
    .then(
      [=](const std::vector<protocol::order_ack>& acks) mutable {
        request.order_acks = acks;
        add_tamper_and_send(self, request);
      },
      [=](const caf::error&) { add_tamper_and_send(self, request); });
}

/// Checks in, with the self-patch actor's upgrade report and the orders
/// actor's acknowledgements when there are any.
void check_in(self_pointer self, const std::string& host_id) {
  auto& st = self->state;
  protocol::checkin_request request;
  request.host_id = host_id;
  request.agent_version = st.agent_version;
  request.profile_etag = st.profile ? st.profile->etag : std::string{};
  st.in_flight = true;
  if (!st.selfpatch) {
    add_acks_and_send(self, request);
    return;
  }
  self->request(st.selfpatch, std::chrono::seconds{5}, caf::get_atom::value)
    .then(
      [=](const protocol::upgrade_report& report) mutable {
        if (report.state != "none" && !report.state.empty())
          request.upgrade = report;
        add_acks_and_send(self, request);
      },
      [=](const caf::error&) { add_acks_and_send(self, request); });
}

} // namespace

checkin_actor::behavior_type checkin(checkin_actor::stateful_pointer<checkin_state> self,
                                     std::shared_ptr<kv_store> store, transport_actor transport,
                                     identity_actor identity, std::string agent_version,
                                     std::shared_ptr<actor_bus> bus, blackout_actor blackout,
                                     std::shared_ptr<const trusted_keys> keys,
                                     selfpatch_actor selfpatch, orders_actor orders,
                                     protector_actor protector) {
  auto& st = self->state;
  st.bus = std::move(bus);
  st.store = std::move(store);
  st.transport = std::move(transport);
  st.identity = std::move(identity);
  st.agent_version = std::move(agent_version);
  if (auto stored = st.store->get("config", checkin_keys::profile); stored && *stored) {
    std::vector<caf::error> dropped;
    if (auto p = protocol::parse_profile_body(**stored, dropped)) {
      st.profile = std::move(*p);
      apply_profile(*st.profile);
      module_logger(log_module::config)->info("starting from the stored profile {}", st.profile->etag);
    }
  }
  if (auto last = st.store->get("meta", checkin_keys::last_checkin); last && *last) {
    if (auto n = parse_int64(**last))
      st.last_checkin = *n;
    else // garbled: forgotten, and written again at the next check-in
      module_logger(log_module::config)->error("the stored last check-in time is not a number");
  }
  self->send(self, tick_atom::value);
  st.keys = std::move(keys);
  st.selfpatch = std::move(selfpatch);
  st.orders = std::move(orders);
  st.protector = std::move(protector);
  st.blackout = std::move(blackout);
  if (st.blackout)
    self->send(st.blackout, blackout_subscribe_atom::value, caf::actor_cast<caf::actor>(self));
  st.bus->subscribe(caf::actor_cast<caf::actor>(self));
  auto tick = [=] {
      auto& st = self->state;
      if (st.in_flight)
        return;
      if (!network_allowed_by(st.blackout, st.windows)) {
        if (!st.skipped_for_blackout && st.windows)
          module_logger(log_module::config)->info("blackout window: check-ins wait for its end");
        st.skipped_for_blackout = true;
        schedule_next(self, interval_of(st));
        return;
      }
      st.skipped_for_blackout = false;
      self->request(self->state.identity, caf::infinite, caf::get_atom::value)
        .then(
          [=](const std::string& host_id, bool provisioned) {
            if (!provisioned) { // the identity actor says when it has provisioned
              self->state.waiting_for_identity = true;
              return;
            }
            check_in(self, host_id);
          },
          [=](const caf::error&) { schedule_next(self, not_provisioned_retry); });
  };
  self->send(st.identity, identity_subscribe_atom::value, caf::actor_cast<caf::actor>(self));
  return {
    [=](tick_atom) { tick(); },
    [=](provisioned_atom, const std::string&) {
      auto& st = self->state;
      if (!st.waiting_for_identity)
        return;
      st.waiting_for_identity = false;
      tick();
    },
    [=](changed_atom) {
      auto& st = self->state;
      if (st.skipped_for_blackout && network_allowed_by(st.blackout, st.windows))
        tick();
    },
    [=](blackout_atom, const blackout_answer& windows) {
      auto& st = self->state;
      st.windows = windows;
      if (st.skipped_for_blackout && windows.network_allowed)
        tick();
    },
    [=](tick_atom, uint64_t generation) {
      if (generation == self->state.generation)
        tick();
    },
    [=](caf::get_atom) -> caf::result<std::string, int64_t> {
      auto& st = self->state;
      return {st.profile ? st.profile->etag : std::string{}, st.last_checkin};
    },
  };
}

} // namespace vigil
