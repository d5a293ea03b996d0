#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <string>

#include "host/windows/wide.hpp"

// A named Win32 mutex held by this process: the registry hive's writers' lock
// (registry_hive.cpp) and the installers' mutual exclusion
// (installer/windows/setup_lock.cpp). The system releases it when its holder
// ends, so a killed holder never blocks the next one. Internal to Windows code.

namespace vigil::win {

/// The mutex `name` ("Global\..." for every session, "Local\..." for this
/// one), owned while this lives.
class held_mutex {
public:
  /// Creates or opens the mutex and waits up to `timeout` (0: not at all) to
  /// own it; an abandoned one (its holder died) is owned at once. Held by
  /// another past the timeout: `ec::lock_failed`.
  static caf::expected<held_mutex> take(const std::string& name,
                                        std::chrono::milliseconds timeout);
  held_mutex(held_mutex&&) = default;
  held_mutex& operator=(held_mutex&&) = delete;
  ~held_mutex();

private:
  explicit held_mutex(unique_handle h) : h_{std::move(h)} {}
  unique_handle h_;
};

} // namespace vigil::win
