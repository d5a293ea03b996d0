#include "tools/fleet/turn_queue.hpp"

namespace vigil::fleet {

void turn_queue::put(std::size_t index, clock::time_point due) {
  {
    std::lock_guard guard{mutex_};
    heap_.emplace(due, index);
  }
  changed_.notify_one();
}

std::optional<std::pair<std::size_t, turn_queue::clock::time_point>>
turn_queue::take(clock::time_point until) {
  std::unique_lock lock{mutex_};
  for (;;) {
    // Past `until` the run is over, even for turns that were due before it.
    if (closed_ || clock::now() >= until)
      return std::nullopt;
    if (heap_.empty()) {
      changed_.wait_until(lock, until);
      continue;
    }
    auto [due, index] = heap_.top();
    if (due >= until)
      return std::nullopt;
    if (due <= clock::now()) {
      heap_.pop();
      return std::pair{index, due};
    }
    // Woken early by a put (maybe an earlier turn) or by close: look again.
    changed_.wait_until(lock, due);
  }
}

void turn_queue::close() {
  {
    std::lock_guard guard{mutex_};
    closed_ = true;
  }
  changed_.notify_all();
}

std::size_t turn_queue::size() const {
  std::lock_guard guard{mutex_};
  return heap_.size();
}

} // namespace vigil::fleet
