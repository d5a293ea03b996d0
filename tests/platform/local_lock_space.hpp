#pragma once
// Locks across "instances" of one process: what PostgreSQL's advisory locks
// are to platform instances on several machines (storage/postgres_store, tested
// on a real server there), for unit tests of two platform_service objects on
// one store.

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "storage/lock_space.hpp"

namespace vigil::test {

class local_lock_space final : public lock_space {
public:
  caf::expected<std::unique_ptr<held_lock>> hold(int64_t key, lock_mode mode) override {
    std::shared_mutex* m;
    {
      std::lock_guard guard{map_mutex_};
      m = &locks_[key];
    }
    return std::unique_ptr<held_lock>{std::make_unique<held>(*m, mode)};
  }

private:
  struct held final : held_lock {
    std::shared_mutex& m;
    lock_mode mode;
    held(std::shared_mutex& mx, lock_mode md) : m{mx}, mode{md} {
      mode == lock_mode::shared ? m.lock_shared() : m.lock();
    }
    ~held() override { mode == lock_mode::shared ? m.unlock_shared() : m.unlock(); }
  };

  std::mutex map_mutex_;
  std::map<int64_t, std::shared_mutex> locks_;
};

} // namespace vigil::test
