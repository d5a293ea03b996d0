#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "actors/blackout_logic.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

/// Whether transmission to the platform is allowed now (SPEC §9b); empty:
/// always. An actor told no waits for the next `changed_atom`: the blackout
/// actor announces a window's end on the bus.
using network_gate = std::function<bool()>;

/// The blackout schedule of the stored profile (SPEC §9b), asked
/// synchronously by the actors that must not transmit inside a network window
/// (check-in, uploader) or must hold scheduled scans inside a collection
/// window (modules). The blackout actor announces a window's end on the bus
/// (after the resume jitter), which is what wakes those actors; the gate only
/// answers "now?". The schedule is rebuilt when the stored profile's text
/// changes. Thread-safe.
class blackout_gate {
public:
  /// Reads the profile from `store`; times are `now()`'s, zones relative to
  /// `host_zone` (normally `host_time_zone()`).
  blackout_gate(std::shared_ptr<kv_store> store, std::string host_zone,
                std::function<blackout_clock::time_point()> now = blackout_clock::now);

  /// The schedule's state now.
  blackout_status now();

  /// Whether transmission to the platform is allowed now.
  bool network_allowed() { return !now().network.blocked; }

  /// Whether scheduled scans may start now.
  bool collection_allowed() { return !now().collection.blocked; }

  /// `network_allowed` of a shared gate, as the actors take it.
  static network_gate network_gate_of(std::shared_ptr<blackout_gate> gate) {
    return [gate = std::move(gate)] { return gate->network_allowed(); };
  }

private:
  std::shared_ptr<kv_store> store_;
  std::string host_zone_;
  std::function<blackout_clock::time_point()> clock_;
  std::mutex mutex_;
  std::string profile_text_; ///< the profile `schedule_` was built from
  blackout_schedule schedule_;
};

} // namespace vigil
