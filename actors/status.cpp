#include "actors/status.hpp"

#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include "common/error.hpp"
#include "host/logging.hpp"

namespace vigil {

namespace {

using self_pointer = status_actor::stateful_pointer<status_state>;

/// Writes the board when the file is behind it. A failure (the lock held for
/// too long by another process, a full disk) is logged and retried at the
/// next change or timer: the status is advisory, the agent's work goes on.
void write_if_behind(status_state& st) {
  auto [status, version] = st.board->snapshot();
  if (st.written_once && version == st.written_version)
    return;
  auto ok = update_agent_status(st.root_paths, [&](agent_status& s) { s = status; });
  if (!ok) {
    module_logger(log_module::agent)->warn("cannot record the agent status: {}", render(ok.error()));
    return;
  }
  st.written_version = version;
  st.written_once = true;
}

} // namespace

status_actor::behavior_type status_writer(status_actor::stateful_pointer<status_state> self,
                                          paths root_paths, std::shared_ptr<status_board> board,
                                          std::chrono::milliseconds debounce) {
  auto& st = self->state;
  st.root_paths = std::move(root_paths);
  st.board = std::move(board);
  st.debounce = debounce;
  // Asked to stop (the agent's shutdown): the final status reaches the file
  // first.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    write_if_behind(self->state);
    self->quit(msg.reason);
  });
  self->send(self, changed_atom::value); // the status the agent started with
  return {
    [=](changed_atom) {
      auto& st = self->state;
      if (st.flush_pending)
        return;
      st.flush_pending = true;
      self->delayed_send(self, st.debounce, status_flush_atom::value);
    },
    [=](status_flush_atom) {
      auto& st = self->state;
      st.flush_pending = false;
      write_if_behind(st);
    },
    [=](caf::get_atom) { return self->state.written_version; },
  };
}

} // namespace vigil
