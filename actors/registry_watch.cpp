#include "actors/registry_watch.hpp"

#include "common/error.hpp"
#include "host/logging.hpp"

namespace vigil {

registry_watch_actor::behavior_type
registry_watch(registry_watch_actor::stateful_pointer<registry_watch_state> self,
               std::shared_ptr<hive_watch> watch, std::vector<hive_subscriber> subscribers) {
  // The actor owns the watch from here on (it is not shared further).
  self->state.watch = std::make_unique<hive_watch>(std::move(*watch));
  self->state.subscribers = std::move(subscribers);
  self->send(self, poll_atom::value);
  return {
    [=](poll_atom) {
      auto& st = self->state;
      auto changes = st.watch->poll(st.poll_interval);
      if (!changes) {
        // A malformed hive: keep the last good state and say so once per write.
        module_logger(log_module::agent)->error("the hive is unreadable: {}", render(changes.error()));
      } else if (!changes->empty()) {
        for (auto& subscriber : st.subscribers)
          subscriber(*changes, st.watch->current());
      }
      self->send(self, poll_atom::value);
    },
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
