#include "actors/supervisor.hpp"

#include <caf/system_messages.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "common/error.hpp"
#include "host/logging.hpp"

namespace vigil {

caf::actor actor_registry::find(std::string_view name) const {
  auto it = running_.find(name);
  return it == running_.end() ? caf::actor{} : it->second;
}

void actor_registry::set(const std::string& name, caf::actor handle) {
  if (handle)
    running_[name] = std::move(handle);
  else
    running_.erase(name);
}

caf::expected<std::vector<size_t>> start_order(const std::vector<child_spec>& specs) {
  std::map<std::string_view, size_t> index_of;
  for (size_t i = 0; i < specs.size(); ++i)
    if (!index_of.emplace(specs[i].name, i).second)
      return invalid_argument_error("two children are named '" + specs[i].name + "'");
  for (auto& spec : specs)
    for (auto& dep : spec.depends_on)
      if (!index_of.count(dep))
        return invalid_argument_error("child '" + spec.name + "' depends on '" + dep
                                      + "', which no child is");
  // Kahn's algorithm, taking the earliest listed child that is ready each time.
  std::vector<size_t> order;
  std::vector<bool> started(specs.size(), false);
  while (order.size() < specs.size()) {
    bool progressed = false;
    for (size_t i = 0; i < specs.size() && !progressed; ++i) {
      if (started[i])
        continue;
      bool ready = true;
      for (auto& dep : specs[i].depends_on)
        ready = ready && started[index_of[dep]];
      if (ready) {
        started[i] = true;
        order.push_back(i);
        progressed = true;
      }
    }
    if (!progressed) {
      std::string stuck;
      for (size_t i = 0; i < specs.size(); ++i)
        if (!started[i])
          stuck += (stuck.empty() ? "" : ", ") + specs[i].name;
      return invalid_argument_error("the children " + stuck + " depend on each other in a cycle");
    }
  }
  return order;
}

std::vector<size_t> restart_scope(const std::vector<child_spec>& specs,
                                  const std::vector<size_t>& order, size_t index) {
  std::vector<bool> in_scope(specs.size(), false);
  in_scope[index] = true;
  // In start order a dependent comes after everything it depends on, so one
  // pass sees every transitive dependent.
  for (auto i : order)
    for (auto& dep : specs[i].depends_on)
      for (size_t j = 0; j < specs.size(); ++j)
        if (in_scope[j] && specs[j].name == dep)
          in_scope[i] = true;
  std::vector<size_t> scope;
  for (auto i : order)
    if (in_scope[i])
      scope.push_back(i);
  return scope;
}

namespace {

using self_pointer = supervisor_actor::stateful_pointer<supervisor_state>;

/// Starts the children of `scope` (in start order) with the current handles
/// of the ones they depend on.
void start(self_pointer self, const std::vector<size_t>& scope) {
  auto& st = self->state;
  for (auto i : scope) {
    auto child = st.specs[i].spawn(self, st.running);
    self->monitor(child);
    st.children[i] = child;
    st.running.set(st.specs[i].name, child);
    ++st.starts[i];
  }
}

bool is_shutdown(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::user_shutdown
         || reason == caf::exit_reason::normal;
}

} // namespace

bool heartbeat(caf::actor_system& system, const supervisor_actor& supervisor,
               std::chrono::milliseconds timeout) {
  caf::scoped_actor self{system};
  bool answered = false;
  self
    ->request(supervisor, timeout * 2, heartbeat_atom::value,
              static_cast<uint32_t>(timeout.count()))
    .receive([&](bool) { answered = true; },
             [&](const caf::error& e) {
               module_logger(log_module::agent)
                 ->error("heartbeat failed, the watchdog is not pinged: {}", render(e));
             });
  return answered;
}

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self, std::vector<child_spec> specs,
           backoff_policy backoff) {
  auto& st = self->state;
  st.specs = std::move(specs);
  st.backoff = backoff;
  st.children.resize(st.specs.size());
  st.starts.assign(st.specs.size(), 0);
  st.crashes.assign(st.specs.size(), 0);
  auto order = start_order(st.specs);
  if (!order) {
    module_logger(log_module::agent)->critical("cannot start the actors: {}", render(order.error()));
    self->quit(order.error());
    return supervisor_actor::behavior_type::make_empty_behavior();
  }
  st.order = std::move(*order);
  start(self, st.order);
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    size_t index = st.children.size();
    for (size_t i = 0; i < st.children.size(); ++i)
      if (st.children[i] && st.children[i].address() == msg.source)
        index = i;
    if (index == st.children.size() || is_shutdown(msg.reason))
      return; // an old incarnation we stopped ourselves, or a clean stop
    auto delay = backoff_delay(st.backoff, st.crashes[index]++, st.random());
    auto scope = restart_scope(st.specs, st.order, index);
    std::string names;
    for (auto i : scope)
      names += (names.empty() ? "" : ", ") + st.specs[i].name;
    module_logger(log_module::agent)
      ->error("actor {} crashed ({}); restarting {} in {} ms", st.specs[index].name,
              caf::to_string(msg.reason), names, delay.count());
    // Stop the dependents now: they hold the dead child's handle.
    for (auto i : scope) {
      if (i != index && st.children[i]) {
        self->demonitor(st.children[i]);
        self->send_exit(st.children[i], caf::exit_reason::user_shutdown);
      }
      st.children[i] = caf::actor{};
      st.running.set(st.specs[i].name, caf::actor{});
    }
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
          std::vector<size_t> stopped;
          for (auto j : restart_scope(st.specs, st.order, i))
            if (!st.children[j])
              stopped.push_back(j);
          start(self, stopped);
          return;
        }
    },
    [=](heartbeat_atom, uint32_t timeout_ms) -> caf::result<bool> {
      auto timeout = std::chrono::milliseconds{timeout_ms};
      auto& st = self->state;
      auto promise = self->make_response_promise<bool>();
      auto waiting = std::make_shared<size_t>(0);
      auto failed = std::make_shared<bool>(false);
      for (size_t i = 0; i < st.children.size(); ++i)
        if (st.children[i])
          ++*waiting;
      if (*waiting == 0) {
        promise.deliver(true);
        return promise;
      }
      for (size_t i = 0; i < st.children.size(); ++i) {
        if (!st.children[i])
          continue;
        auto name = st.specs[i].name;
        self
          ->request(st.children[i], timeout, caf::sys_atom::value, caf::get_atom::value,
                    std::string{"info"})
          .then(
            [=](caf::ok_atom, const std::string&, const caf::strong_actor_ptr&,
                const std::string&) mutable {
              if (--*waiting == 0 && !*failed)
                promise.deliver(true);
            },
            [=](const caf::error& e) mutable {
              if (*failed)
                return;
              *failed = true;
              promise.deliver(make_error(ec::timeout, "actor " + name + " did not answer a "
                                                        "heartbeat: " + render(e)));
            });
      }
      return promise;
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
