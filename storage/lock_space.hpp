#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <memory>

// Locks that several processes sharing one store take together: how the
// platform's instances on one PostgreSQL database keep the guarantees one
// process keeps with its mutexes (issue 18): each (HostID, module, seq)
// applied once, provisioning and administration alone.

namespace vigil {

/// How a lock is held: several `shared` holders at once, or one `exclusive`.
enum class lock_mode { shared, exclusive };

/// A lock held until destroyed.
class held_lock {
public:
  virtual ~held_lock();
};

/// Locks named by 64-bit keys, shared by every process that opens the same
/// space. Thread-safe; a key held by one thread of a process blocks another
/// thread of the same process too (each holder is its own session).
class lock_space {
public:
  virtual ~lock_space();

  /// Waits until `key` can be held in `mode`, then holds it. Fails with
  /// `ec::storage_error` naming why when the server is gone, or when another
  /// holder keeps the lock past the space's limit (PostgreSQL: 60 s), never
  /// waiting forever.
  virtual caf::expected<std::unique_ptr<held_lock>> hold(int64_t key, lock_mode mode) = 0;
};

} // namespace vigil
