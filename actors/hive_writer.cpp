#include "actors/hive_writer.hpp"

#include <caf/send.hpp>

#include "common/error.hpp"
#include "host/logging.hpp"

namespace vigil {

namespace {

void apply(hive_store& hive, const hive_store::change& change, const std::string& what) {
  if (auto ok = hive.update(change); !ok)
    module_logger(log_module::agent)->error("cannot write {} to the hive: {}", what,
                                            render(ok.error()));
}

} // namespace

hive_writer_actor::behavior_type hive_writer(hive_writer_actor::stateful_pointer<hive_writer_state> self,
                                             std::shared_ptr<hive_store> hive) {
  self->state.hive = std::move(hive);
  return {
    [=](hive_update_atom, const hive_store::change& change, const std::string& what) {
      apply(*self->state.hive, change, what);
    },
    [=](caf::get_atom) { return true; },
  };
}

void update_hive(const hive_writer_actor& writer, hive_store& hive, hive_store::change change,
                 std::string what) {
  if (writer)
    caf::anon_send(writer, hive_update_atom::value, std::move(change), std::move(what));
  else
    apply(hive, change, what);
}

} // namespace vigil
