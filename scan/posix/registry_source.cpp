// The registry collector's source on POSIX: the hive file under the root
// (SPEC §2), whichever key is asked for.
#include "host/hive_file.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

caf::expected<hive> load_registry(const collect_context& ctx, const std::string&) {
  return hive_file{ctx.root_paths->hive_file()}.load();
}

} // namespace vigil::scan::detail
