#include "actors/selfpatch_logic.hpp"

#include "common/error.hpp"

namespace vigil {

caf::expected<void> self_patching_available() {
  // The hand-over itself works (host/held_program.hpp starts a detached
  // vigil-setup); what is missing is a Windows vigil-setup that upgrades the
  // service and watches the new version, and Windows packages to offer.
  return make_error(ec::unsupported, "self-patching is not supported in the Windows build yet");
}

} // namespace vigil
