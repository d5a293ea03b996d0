#include "actors/delta.hpp"

#include <caf/send.hpp>
#include <ctime>

#include "actors/delta_store.hpp"
#include "common/error.hpp"
#include "host/agent_status.hpp"
#include "host/logging.hpp"

namespace vigil {

namespace scan_keys {

std::string last_end(const std::string& module) {
  return "scan." + module + ".last_end";
}

std::string started(const std::string& module) {
  return "scan." + module + ".started";
}

} // namespace scan_keys

delta_actor::behavior_type delta(delta_actor::stateful_pointer<delta_state> self,
                                 std::shared_ptr<kv_store> store, caf::actor uploader) {
  self->state.store = std::move(store);
  self->state.uploader = std::move(uploader);
  return {
    [=](record_atom, const std::string& module, int64_t manifest_version,
        const snapshot_ptr& rows) -> caf::result<uint64_t> {
      auto log = module_logger(log_module::delta);
      auto started = std::chrono::steady_clock::now();
      write_batch also;
      also.put("meta", scan_keys::last_end(module), std::to_string(std::time(nullptr)));
      also.erase("meta", scan_keys::started(module));
      auto recorded = record_delta(*self->state.store, module, *rows, manifest_version, also);
      if (!recorded) {
        log->error("{}: cannot record the delta: {}", module, render(recorded.error()));
        record_agent_status([&](agent_status& s) {
          auto& m = s.module(module);
          m.last_error = "cannot record the delta: " + render(recorded.error());
          m.last_error_code = to_string(code_of(recorded.error()));
        });
        return recorded.error();
      }
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
      if (!*recorded) {
        log->info("{}: no change since the baseline ({} rows, {} ms)", module, rows->size(), ms);
        return uint64_t{0};
      }
      auto& d = **recorded;
      log->info("{}: delta seq {} pending: {}{} upserts, {} removals, {} bytes ({} rows, {} ms)",
                module, d.seq, d.full ? "full snapshot, " : "", d.upserts, d.removals, d.bytes,
                rows->size(), ms);
      record_agent_status([&](agent_status& s) { // for vigil-healthcheck
        auto& m = s.module(module);
        m.state = module_run_state::pending_upload;
        m.pending_delta_seq = d.seq;
      });
      if (self->state.uploader)
        caf::anon_send(self->state.uploader, upload_atom::value);
      return d.seq;
    },
  };
}

} // namespace vigil
