#include "actors/selfpatch_logic.hpp"

namespace vigil {

caf::expected<void> self_patching_available() {
  // vigil-setup PatchInstall=TRUE replaces the program files and its
  // upgrade watcher proves or rolls back the new version (SPEC §12).
  return {};
}

} // namespace vigil
