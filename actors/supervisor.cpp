#include "actors/supervisor.hpp"

#include <caf/system_messages.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "common/error.hpp"
#include "host/logging.hpp"

namespace vigil {

namespace {

using self_pointer = supervisor_actor::stateful_pointer<supervisor_state>;

/// Starts children `from`..end with the current handles of the earlier ones.
void start_from(self_pointer self, size_t from) {
  auto& st = self->state;
  for (size_t i = from; i < st.specs.size(); ++i) {
    std::vector<caf::actor> earlier{st.children.begin(), st.children.begin() + static_cast<long>(i)};
    auto child = st.specs[i].spawn(self, earlier);
    self->monitor(child);
    st.children[i] = child;
    ++st.starts[i];
  }
}

bool is_shutdown(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::user_shutdown
         || reason == caf::exit_reason::normal;
}

} // namespace

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self, std::vector<child_spec> specs,
           backoff_policy backoff) {
  auto& st = self->state;
  st.specs = std::move(specs);
  st.backoff = backoff;
  st.children.resize(st.specs.size());
  st.starts.assign(st.specs.size(), 0);
  st.crashes.assign(st.specs.size(), 0);
  start_from(self, 0);
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    size_t index = st.children.size();
    for (size_t i = 0; i < st.children.size(); ++i)
      if (st.children[i] && st.children[i].address() == msg.source)
        index = i;
    if (index == st.children.size() || is_shutdown(msg.reason))
      return; // an old incarnation we stopped ourselves, or a clean stop
    auto delay = backoff_delay(st.backoff, st.crashes[index]++, st.random());
    module_logger(log_module::agent)
      ->error("actor {} crashed ({}); restarting it and those after it in {} ms",
              st.specs[index].name, caf::to_string(msg.reason), delay.count());
    // Stop the dependents now: they hold the dead child's handle.
    for (size_t i = index + 1; i < st.children.size(); ++i) {
      self->demonitor(st.children[i]);
      self->send_exit(st.children[i], caf::exit_reason::user_shutdown);
      st.children[i] = caf::actor{};
    }
    st.children[index] = caf::actor{};
    self->delayed_send(self, delay, restart_atom::value, st.specs[index].name);
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    // Our own shutdown: take the children with us.
    for (auto& child : self->state.children)
      if (child)
        self->send_exit(child, msg.reason);
    self->quit(msg.reason);
  });
  return {
    [=](restart_atom, const std::string& name) {
      auto& st = self->state;
      for (size_t i = 0; i < st.specs.size(); ++i)
        if (st.specs[i].name == name && !st.children[i]) {
          start_from(self, i);
          return;
        }
    },
    [=](caf::get_atom) -> caf::result<std::vector<std::string>, std::vector<uint64_t>> {
      std::vector<std::string> names;
      for (auto& spec : self->state.specs)
        names.push_back(spec.name);
      return {names, self->state.starts};
    },
  };
}

} // namespace vigil
