#include "actors/uploader.hpp"

#include <caf/actor_system.hpp>

#include "actors/delta_store.hpp"
#include "actors/upload_logic.hpp"
#include "common/error.hpp"
#include "host/agent_status.hpp"
#include "host/logging.hpp"
#include "host/memory.hpp"
#include "protocol/body.hpp"
#include "protocol/endpoints.hpp"
#include "protocol/error_response.hpp"
#include "protocol/upload.hpp"
#include "protocol/upload_position.hpp"

namespace vigil {

namespace {

using self_pointer = uploader_actor::stateful_pointer<uploader_state>;

void pump(self_pointer self);

bool any_busy(const uploader_state& st) {
  for (auto& [name, m] : st.modules)
    if (m.busy)
      return true;
  return false;
}

/// `module`'s attempt failed: it alone waits for its next one.
void retry_later(self_pointer self, const std::string& module, const std::string& why,
                 const caf::error& cause = {}) {
  auto& st = self->state;
  if (!module.empty())
    record_agent_status([&](agent_status& s) { // for vigil-healthcheck
      auto& m = s.module(module);
      m.last_error = why;
      m.last_error_code = cause ? to_string(code_of(cause)) : "protocol_error";
    });
  auto& m = st.modules[module];
  m.busy = false;
  m.backing_off = true;
  auto delay = backoff_delay(st.backoff, m.failures++, st.random());
  module_logger(log_module::upload)
    ->warn("{}; retrying in {} ms (attempt {})", why, delay.count(), m.failures);
  self->delayed_send(self, delay, upload_atom::value, module, ++m.generation);
}

/// `module`'s delta is done: whatever happened is durable; look for the next.
void next(self_pointer self, const std::string& module) {
  auto& m = self->state.modules[module];
  m.busy = false;
  m.failures = 0;
  pump(self);
  if (any_busy(self->state))
    return;
  // The burst is over: the store's memtables go to disk and the burst's
  // buffers back to the OS (the agent's idle RSS budget, bench/footprint.sh).
  if (auto released = self->state.store->release_memory(); !released)
    module_logger(log_module::upload)
      ->warn("cannot flush the store's memtables: {}", render(released.error()));
  release_free_memory();
}

void acknowledged(self_pointer self, const pending_delta& d, const char* how) {
  auto& st = self->state;
  if (auto ok = acknowledge(*st.store, d); !ok) {
    retry_later(self, d.module, "cannot advance the " + d.module + " baseline: " + render(ok.error()),
                ok.error());
    return;
  }
  record_agent_status([&](agent_status& s) { // for vigil-healthcheck
    auto& m = s.module(d.module);
    m.last_upload_ack = unix_now();
    if (m.pending_delta_seq == d.seq)
      m.pending_delta_seq = 0;
    if (m.state == module_run_state::pending_upload)
      m.state = module_run_state::idle;
    m.last_error.clear();
    m.last_error_code.clear();
  });
  module_logger(log_module::upload)->info("{} seq {} {}; baseline advanced", d.module, d.seq, how);
  st.bus->publish(); // the module's pending gate opened
  next(self, d.module);
}

/// Uploads `d` from `received`, the bytes the platform just said it holds.
void send(self_pointer self, const pending_delta& d, uint64_t received) {
  auto& st = self->state;
  self->request(st.transport, caf::infinite, upload_atom::value, d.module, d.seq, d.bytes,
                received)
    .then(
      [=](bool applied, bool duplicate, uint64_t, uint64_t rows) {
        if (applied) {
          acknowledged(self, d,
                       ("applied (" + std::to_string(d.bytes.size()) + " bytes, platform holds "
                        + std::to_string(rows) + " rows)")
                         .c_str());
          return;
        }
        // Applied before this completion: ask again which case it is.
        (void) duplicate;
        next(self, d.module);
      },
      [=](const caf::error& e) {
        auto& st = self->state;
        if (code_of(e) == ec::cancelled) {
          // A network window started between two chunks: no failure, no
          // backoff; the blackout actor's push at its end resumes the upload
          // from the bytes the platform holds. Should that push have reached
          // us before the transport's listener, look again in a second.
          auto& m = st.modules[d.module];
          m.busy = false;
          if (network_allowed_by(st.blackout, st.windows))
            self->delayed_send(self, std::chrono::seconds{1}, upload_atom::value, d.module,
                               ++m.generation);
          return;
        }
        retry_later(self, d.module,
                    "upload of " + d.module + " seq " + std::to_string(d.seq) + " failed: "
                      + render(e),
                    e);
      });
}

void handle_status(self_pointer self, const pending_delta& d, const http_response& r) {
  auto& st = self->state;
  auto position = protocol::read_upload_position(static_cast<int>(r.status), r.body);
  if (!position) {
    retry_later(self, d.module,
                "status of " + d.module + " seq " + std::to_string(d.seq) + ": "
                  + render(position.error()),
                position.error());
    return;
  }
  auto expected = position->expected_seq;
  auto received = position->received_bytes;
  switch (decide_upload(d.seq, d.full, expected)) {
    case upload_step::send:
      send(self, d, received);
      return;
    case upload_step::acknowledge:
      acknowledged(self, d, "was applied already (the answer had been lost)");
      return;
    case upload_step::renumber: {
      auto full = renumber_as_full(*st.store, d, expected);
      if (!full) {
        retry_later(self, d.module, "cannot renumber " + d.module + ": " + render(full.error()),
                    full.error());
        return;
      }
      module_logger(log_module::upload)
        ->warn("{}: the platform applies seq {} next, not {}: its view is not our baseline; "
               "sending a full snapshot as seq {}",
               d.module, expected, d.seq, expected);
      next(self, d.module);
      return;
    }
  }
}

/// Starts `d`, its module's head: asks the platform which seq it applies next.
void start(self_pointer self, pending_delta d) {
  auto& st = self->state;
  st.modules[d.module].busy = true;
  http_request status;
  status.method = "GET";
  status.target = protocol::endpoint_delta("", d.module, d.seq);
  self->request(st.transport, caf::infinite, request_atom::value, std::move(status))
    .then([=](const http_response& r) { handle_status(self, d, r); },
          [=](const caf::error& e) {
            retry_later(self, d.module,
                        "cannot reach the platform for " + d.module + " seq "
                          + std::to_string(d.seq) + ": " + render(e),
                        e);
          });
}

void pump(self_pointer self) {
  auto& st = self->state;
  if (!network_allowed_by(st.blackout, st.windows)) {
    module_logger(log_module::upload)->debug("blackout window: uploads wait");
    return;
  }
  if (st.modules[""].backing_off)
    return; // the pending set could not be read: its timer looks again
  auto heads = pending_heads(*st.store);
  if (!heads) {
    retry_later(self, "", "cannot read the pending deltas: " + render(heads.error()),
                heads.error());
    return;
  }
  st.modules[""].failures = 0;
  for (auto& d : *heads) {
    auto& m = st.modules[d.module];
    if (!m.busy && !m.backing_off)
      start(self, std::move(d));
  }
}

} // namespace

uploader_actor::behavior_type uploader(uploader_actor::stateful_pointer<uploader_state> self,
                                       std::shared_ptr<kv_store> store,
                                       transport_actor transport, std::shared_ptr<actor_bus> bus,
                                       blackout_actor blackout, backoff_policy backoff) {
  auto& st = self->state;
  st.store = std::move(store);
  st.transport = std::move(transport);
  st.bus = std::move(bus);
  st.blackout = std::move(blackout);
  if (st.blackout)
    self->send(st.blackout, blackout_subscribe_atom::value, caf::actor_cast<caf::actor>(self));
  st.backoff = backoff;
  st.bus->subscribe(caf::actor_cast<caf::actor>(self));
  self->send(self, upload_atom::value);
  // While a module backs off, a new delta or a bus event does not bring its
  // next attempt forward: only its timer does, so a platform that is down
  // sees the capped exponential schedule and nothing more.
  return {
    [=](upload_atom) { pump(self); },
    [=](upload_atom, const std::string& module, uint64_t generation) {
      auto& m = self->state.modules[module];
      if (generation != m.generation)
        return;
      m.backing_off = false;
      pump(self);
    },
    [=](changed_atom) { pump(self); },
    [=](blackout_atom, const blackout_answer& windows) {
      self->state.windows = windows;
      pump(self);
    },
  };
}

uploader_actor spawn_uploader(caf::actor_system& system, std::shared_ptr<kv_store> store,
                              transport_actor transport, std::shared_ptr<actor_bus> bus,
                              blackout_actor blackout, backoff_policy backoff) {
  return system.spawn<caf::detached>(uploader, std::move(store), std::move(transport),
                                     std::move(bus), std::move(blackout), backoff);
}

} // namespace vigil
