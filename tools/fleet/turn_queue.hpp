#pragma once

// The fleet's one timetable: which agent acts next, shared by the workers.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <queue>
#include <vector>

namespace vigil::fleet {

/// A time-ordered queue of agents (by index), safe for many threads: workers
/// `take` the agent whose turn is due first, waiting until it is due, and
/// `put` it back with its next due time. An agent is in the queue at most
/// once, held by one worker at a time, so its state needs no lock.
class turn_queue {
public:
  using clock = std::chrono::steady_clock;

  /// Schedules agent `index` at `due`.
  void put(std::size_t index, clock::time_point due);

  /// The earliest agent once its time has come, with the time it was due
  /// (how late it starts is the fleet's lag); nothing once `close` was called,
  /// once `until` has passed (a turn overdue then is not started: the run is
  /// over), or when the earliest turn is due at or after `until`.
  std::optional<std::pair<std::size_t, clock::time_point>> take(clock::time_point until);

  /// Wakes every waiting worker; `take` returns nothing from now on.
  void close();

  /// How many agents are scheduled.
  std::size_t size() const;

private:
  using entry = std::pair<clock::time_point, std::size_t>;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::priority_queue<entry, std::vector<entry>, std::greater<entry>> heap_;
  bool closed_ = false;
};

} // namespace vigil::fleet
