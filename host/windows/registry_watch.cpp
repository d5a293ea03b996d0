// registry_watch on RegNotifyChangeKeyValue (registry_watch.hpp): one
// auto-reset event the registry signals on a change of a name or a value
// anywhere under the mount key, one manual-reset event `interrupt` sets for
// good. The notification is re-armed before the tree is read, so a change
// made while reading signals the next poll rather than being lost.
#include "host/registry_watch.hpp"

#include <windows.h>

#include "common/error.hpp"
#include "host/windows/wide.hpp"

namespace vigil {

namespace {

/// Win8+: the notification survives the thread that armed it (the actor may
/// poll from several threads over its life). Older systems (and Wine) may
/// refuse the flag: then the thread that polls arms it, which also works.
#ifndef REG_NOTIFY_THREAD_AGNOSTIC
#define REG_NOTIFY_THREAD_AGNOSTIC 0x10000000L
#endif

} // namespace

struct registry_watch::impl {
  registry_hive store;
  HKEY key = nullptr;
  win::unique_handle changed; ///< auto-reset, signalled by the registry
  win::unique_handle stop;    ///< manual-reset, set by interrupt
  vigil::hive current;

  explicit impl(registry_mount mount) : store{std::move(mount)} {}
  ~impl() {
    if (key)
      ::RegCloseKey(key);
  }

  caf::expected<void> arm() {
    const DWORD filter = REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET;
    auto rc = ::RegNotifyChangeKeyValue(key, TRUE, filter | REG_NOTIFY_THREAD_AGNOSTIC,
                                        changed.get(), TRUE);
    if (rc == ERROR_INVALID_PARAMETER)
      rc = ::RegNotifyChangeKeyValue(key, TRUE, filter, changed.get(), TRUE);
    if (rc != ERROR_SUCCESS)
      return win::error_from(rc, "RegNotifyChangeKeyValue " + store.mount().display());
    return {};
  }
};

registry_watch::registry_watch(std::unique_ptr<impl> self) : self_{std::move(self)} {
}
registry_watch::registry_watch(registry_watch&&) noexcept = default;
registry_watch& registry_watch::operator=(registry_watch&&) noexcept = default;
registry_watch::~registry_watch() = default;

caf::expected<registry_watch> registry_watch::open(registry_mount mount) {
  auto self = std::make_unique<impl>(std::move(mount));
  auto& m = self->store.mount();
  auto rc = ::RegCreateKeyExW(m.root == registry_mount::root_key::local_machine
                                ? HKEY_LOCAL_MACHINE
                                : HKEY_CURRENT_USER,
                              win::widen(m.subkey).c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                              KEY_NOTIFY | KEY_READ | KEY_WOW64_64KEY, nullptr, &self->key,
                              nullptr);
  if (rc != ERROR_SUCCESS)
    return win::error_from(rc, "open " + m.display() + " to watch it");
  self->changed = win::unique_handle{::CreateEventW(nullptr, FALSE, FALSE, nullptr)};
  self->stop = win::unique_handle{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
  if (!self->changed || !self->stop)
    return win::last_error("CreateEvent for watching " + m.display());
  if (auto armed = self->arm(); !armed)
    return armed.error();
  auto initial = self->store.load();
  if (!initial)
    return initial.error();
  self->current = std::move(*initial);
  return registry_watch{std::move(self)};
}

caf::expected<std::vector<hive_change>> registry_watch::poll(std::chrono::milliseconds timeout) {
  // The stop event first: once interrupted, a poll returns at once even with
  // a change pending.
  HANDLE handles[2] = {self_->stop.get(), self_->changed.get()};
  auto wait = ::WaitForMultipleObjects(2, handles, FALSE,
                                       timeout.count() < 0 ? INFINITE
                                                           : static_cast<DWORD>(timeout.count()));
  if (wait == WAIT_FAILED)
    return win::last_error("wait for changes of " + self_->store.mount().display());
  if (wait != WAIT_OBJECT_0 + 1)
    return std::vector<hive_change>{};
  if (auto armed = self_->arm(); !armed)
    return armed.error();
  auto now = self_->store.load();
  if (!now)
    return now.error();
  auto changes = diff(self_->current, *now);
  self_->current = std::move(*now);
  return changes;
}

void registry_watch::interrupt() noexcept {
  ::SetEvent(self_->stop.get());
}

bool registry_watch::interrupted() const noexcept {
  return ::WaitForSingleObject(self_->stop.get(), 0) == WAIT_OBJECT_0;
}

const vigil::hive& registry_watch::current() const noexcept {
  return self_->current;
}

} // namespace vigil
