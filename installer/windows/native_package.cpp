// The Windows build's payload carries Windows programs and no Debian control
// file: a .deb made from it would install nothing that runs. Extract=deb is
// a Linux vigil-setup's; on Windows the guide's ExtractMSI is (issue 21).
#include "installer/native_package.hpp"

#include "common/error.hpp"

namespace vigil {

caf::expected<std::string> make_native_package(std::string_view, std::string_view) {
  return make_error(ec::unsupported, "Extract=deb: the Windows vigil-setup.exe carries Windows "
                                     "programs; a Linux vigil-setup makes the .deb");
}

} // namespace vigil
