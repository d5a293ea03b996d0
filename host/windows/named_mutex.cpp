#include "host/windows/named_mutex.hpp"

#include <windows.h>

#include "common/error.hpp"

namespace vigil::win {

caf::expected<held_mutex> held_mutex::take(const std::string& name,
                                           std::chrono::milliseconds timeout) {
  unique_handle h{::CreateMutexW(nullptr, FALSE, widen(name).c_str())};
  if (!h)
    return last_error("create mutex " + name);
  switch (::WaitForSingleObject(h.get(), static_cast<DWORD>(timeout.count()))) {
    case WAIT_OBJECT_0:
    case WAIT_ABANDONED: // its holder died holding it
      return held_mutex{std::move(h)};
    case WAIT_TIMEOUT:
      return make_error(ec::lock_failed, "another process holds " + name + " for more than "
                                           + std::to_string(timeout.count()) + " ms");
    default:
      return last_error("wait for mutex " + name);
  }
}

held_mutex::~held_mutex() {
  if (h_)
    ::ReleaseMutex(h_.get());
}

} // namespace vigil::win
