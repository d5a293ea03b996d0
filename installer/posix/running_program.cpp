#include "installer/running_program.hpp"

namespace vigil {

caf::expected<void> move_running_program_out_of(const std::filesystem::path&) {
  return {}; // unlink(2) removes a running program's file
}

} // namespace vigil
