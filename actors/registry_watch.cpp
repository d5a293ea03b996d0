#include "actors/registry_watch.hpp"

#include "common/error.hpp"
#include "host/logging.hpp"

namespace vigil {

hive_watch_thread::hive_watch_thread(std::shared_ptr<hive_watcher> watch,
                                     std::vector<hive_subscriber> subscribers)
  : watch_{std::move(watch)} {
  thread_ = std::thread{[watch = watch_, reported = reported_,
                         subscribers = std::move(subscribers)] {
    for (;;) {
      auto changes = watch->poll(std::chrono::milliseconds{-1});
      if (watch->interrupted())
        return;
      if (!changes) {
        // A malformed hive: keep the last good state and say so once per write.
        module_logger(log_module::agent)->error("the hive is unreadable: {}",
                                                render(changes.error()));
      } else if (!changes->empty()) {
        for (auto& subscriber : subscribers)
          subscriber(*changes, watch->current());
        ++*reported;
      }
    }
  }};
}

hive_watch_thread::~hive_watch_thread() {
  watch_->interrupt();
  thread_.join();
}

registry_watch_actor::behavior_type
registry_watch(registry_watch_actor::stateful_pointer<registry_watch_state> self,
               std::shared_ptr<hive_watcher> watch, std::vector<hive_subscriber> subscribers) {
  self->state.watcher = std::make_unique<hive_watch_thread>(std::move(watch),
                                                            std::move(subscribers));
  // The thread ends with the actor: CAF destroys the state when the actor
  // exits (stateful_actor::on_exit), and the watcher's destructor stops it.
  return {
    [=](reported_atom) -> uint64_t { return self->state.watcher->reported(); },
  };
}

hive_subscriber trace_level_subscriber() {
  return [](const std::vector<hive_change>& changes, const hive& h) {
    auto logs_key = std::string{agent_key} + "\\Logs";
    bool touched = false;
    for (auto& c : changes)
      touched |= is_under(c, logs_key);
    auto manager = global_log_manager();
    if (!touched || !manager)
      return;
    std::optional<uint32_t> level;
    if (auto* value = h.get(logs_key, "TraceLevel"))
      if (auto n = value->as_number())
        level = static_cast<uint32_t>(*n);
    manager->set_trace_level_override(level);
    module_logger(log_module::agent)->info("Logs\\TraceLevel is now {}",
                                           level ? std::to_string(*level) : "unset");
    manager->flush(); // an administrator is probably watching the log for this
  };
}

} // namespace vigil
