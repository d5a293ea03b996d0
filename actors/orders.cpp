#include "actors/orders.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "actors/module_logic.hpp"
#include "common/error.hpp"
#include "host/agent_status.hpp"
#include "host/held_program.hpp"
#include "host/logging.hpp"
#include "protocol/signed_order.hpp"

namespace vigil {

namespace {

using self_pointer = orders_actor::stateful_pointer<orders_state>;
using nlohmann::json;

const std::string meta = "meta";
constexpr std::string_view record_prefix = "order.";

auto log() {
  return module_logger(log_module::config);
}

/// One order's record in the store's `meta` column, `order.<id>`.
struct order_record {
  std::string state;  ///< "started", "done" (acknowledged at check-ins), "closed"
  std::string type;   ///< the order type's wire name
  std::string result; ///< once done: done, failed, refused
  std::string reason;
};

/// The record stored as `text`, or nothing for a garbled one.
std::optional<order_record> parse_record(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object())
    return std::nullopt;
  return order_record{j.value("state", ""), j.value("type", ""), j.value("result", ""),
                      j.value("reason", "")};
}

std::optional<order_record> load_record(kv_store& store, const std::string& id) {
  auto stored = store.get(meta, std::string{record_prefix} + id);
  if (!stored || !*stored)
    return std::nullopt;
  return parse_record(**stored);
}

void save_record(kv_store& store, const std::string& id, const order_record& r) {
  json j{{"state", r.state}, {"type", r.type}, {"result", r.result}, {"reason", r.reason}};
  if (auto ok = store.put(meta, std::string{record_prefix} + id, j.dump(), {true}); !ok)
    log()->error("cannot record order {}: {}", id, render(ok.error()));
}

/// Every record, by order id.
std::map<std::string, order_record> all_records(kv_store& store) {
  std::map<std::string, order_record> out;
  (void) store.scan(meta, record_prefix, [&](std::string_view key, std::string_view value) {
    if (auto r = parse_record(value))
      out.emplace(std::string{key.substr(record_prefix.size())}, *r);
    return true;
  });
  return out;
}

void finish(self_pointer self, const std::string& id, const std::string& type,
            std::string_view result, std::string reason) {
  save_record(*self->state.store, id, {"done", type, std::string{result}, reason});
  log()->info("order {} ({}): {}{}{}", id, type, result, reason.empty() ? "" : ": ", reason);
}

caf::expected<void> set_hive_dword(hive_store& hive, const std::string& key, const std::string& name,
                                   uint32_t value) {
  auto ok = hive.update([&](vigil::hive& h) -> caf::expected<void> {
    h.set(key, reg_value::dword(name, value));
    return {};
  });
  if (!ok)
    return ok.error();
  return {};
}

/// Runs vigil-uninstall Uninstall=True in its own session: it stops this agent.
void run_uninstaller(self_pointer self) {
  auto program = held_program::open(self->state.root_paths.program("vigil-uninstall"));
  if (!program) {
    log()->error("uninstall order: {}", render(program.error()));
    return;
  }
  log()->warn("uninstall order acknowledged by the platform: running vigil-uninstall");
  auto started = program->hand_over({"vigil-uninstall", "--root",
                                     self->state.root_paths.root().string(), "Uninstall=True"});
  if (!started)
    log()->error("uninstall order: {}", render(started.error()));
}

/// The platform's signed uninstall order is the authority SPEC §13 asks for:
/// self-protection goes off first (through the protector, which would
/// otherwise restore it), so vigil-uninstall needs no SPFKEY.
void uninstall_now(self_pointer self) {
  self->request(self->state.protector, std::chrono::seconds{10}, protect_atom::value, false, true)
    .then([=](bool) { run_uninstaller(self); },
          [=](const caf::error& e) {
            log()->error("uninstall order: self-protection could not be turned off ({}); "
                         "uninstalling anyway",
                         render(e));
            run_uninstaller(self);
          });
}

void carry_out(self_pointer self, const protocol::order& o) {
  auto& st = self->state;
  auto type = std::string{protocol::to_string(o.type)};
  save_record(*st.store, o.id, {"started", type, {}, {}});
  switch (o.type) {
    case protocol::order_type::scan: {
      auto ok = set_hive_dword(*st.hive, scan_on_demand_key(*o.module), "ScanOnDemand",
                               scan_on_demand::requested);
      if (ok)
        finish(self, o.id, type, protocol::order_result_done, "ScanOnDemand set for " + *o.module);
      else
        finish(self, o.id, type, protocol::order_result_failed, render(ok.error()));
      return;
    }
    case protocol::order_type::self_protection: {
      bool on = o.enabled.value_or(false);
      self->request(st.protector, std::chrono::seconds{10}, protect_atom::value, on, true)
        .then(
          [=](bool now_on) {
            finish(self, o.id, type, protocol::order_result_done,
                   std::string{"self-protection "} + (on ? "on" : "off")
                     + (now_on == on ? "" : " requested (a local SPFKEY keeps it off)"));
          },
          [=](const caf::error& e) {
            finish(self, o.id, type, protocol::order_result_failed, render(e));
          });
      return;
    }
    case protocol::order_type::reprovision:
      self->request(st.identity, std::chrono::seconds{30}, reprovision_atom::value)
        .then(
          [=](const std::string& host_id) {
            finish(self, o.id, type, protocol::order_result_done, "re-provisioning as " + host_id);
          },
          [=](const caf::error& e) {
            finish(self, o.id, type, protocol::order_result_failed, render(e));
          });
      return;
    case protocol::order_type::uninstall:
      // Acknowledged first: once the platform has it, vigil-uninstall runs
      // (this agent is gone after that, and could not say so).
      finish(self, o.id, type, protocol::order_result_done, "uninstalling once acknowledged");
      return;
    case protocol::order_type::upgrade:
      finish(self, o.id, type, protocol::order_result_failed,
             "upgrades follow the profile's TargetVersion with signed release metadata "
             "(SPEC §12); this order carries none");
      return;
  }
}

void handle(self_pointer self, const std::string& host_id,
            const std::vector<std::string>& envelopes) {
  auto& st = self->state;
  std::set<std::string> delivered;
  for (auto& envelope : envelopes) {
    caf::expected<protocol::order> opened =
      st.keys ? protocol::open_signed_order(envelope, *st.keys, host_id)
              : caf::expected<protocol::order>{
                  make_error(ec::signature_invalid, "no trust root is pinned")};
    if (!opened) {
      auto id = protocol::unverified_order_id(envelope);
      if (!id)
        continue;
      delivered.insert(*id);
      if (auto r = load_record(*st.store, *id); r && r->state != "started")
        continue; // refused before: the acknowledgement goes again
      log()->error("order {} refused: {}", *id, render(opened.error()));
      save_record(*st.store, *id, {"done", "unknown", std::string{protocol::order_result_refused},
                                   render(opened.error())});
      continue;
    }
    auto& o = *opened;
    delivered.insert(o.id);
    auto record = load_record(*st.store, o.id);
    if (record && record->state != "started")
      continue; // carried out before: acknowledged again, never repeated
    if (record && o.type == protocol::order_type::reprovision) {
      finish(self, o.id, record->type, protocol::order_result_failed,
             "interrupted by a restart; not repeated (a second new HostID would orphan the first)");
      continue;
    }
    log()->info("order {} ({}) received", o.id, protocol::to_string(o.type));
    carry_out(self, o);
  }
  // An order the platform no longer delivers has its acknowledgement.
  for (auto& [id, r] : all_records(*st.store)) {
    if (r.state != "done" || delivered.count(id))
      continue;
    save_record(*st.store, id, {"closed", r.type, r.result, r.reason});
    if (r.type == "uninstall" && r.result == protocol::order_result_done)
      uninstall_now(self);
  }
  // For the health check: orders received and not yet closed (being carried
  // out, or done and waiting for the platform to take the acknowledgement).
  uint64_t pending = 0;
  for (auto& [id, r] : all_records(*st.store))
    pending += r.state != "closed" ? 1 : 0;
  record_agent_status([pending](agent_status& s) { s.orders_pending = pending; });
}

} // namespace

orders_actor::behavior_type orders(orders_actor::stateful_pointer<orders_state> self,
                                   paths root_paths, std::shared_ptr<kv_store> store,
                                   std::shared_ptr<hive_store> hive,
                                   std::shared_ptr<const trusted_keys> keys,
                                   identity_actor identity, protector_actor protector) {
  auto& st = self->state;
  st.protector = std::move(protector);
  st.root_paths = std::move(root_paths);
  st.store = std::move(store);
  st.hive = std::move(hive);
  st.keys = std::move(keys);
  st.identity = std::move(identity);
  return {
    [=](orders_atom, const std::string& host_id, const std::vector<std::string>& envelopes) {
      handle(self, host_id, envelopes);
    },
    [=](caf::get_atom) {
      std::vector<protocol::order_ack> acks;
      for (auto& [id, r] : all_records(*self->state.store))
        if (r.state == "done")
          acks.push_back({id, r.result, r.reason});
      return acks;
    },
  };
}

} // namespace vigil
