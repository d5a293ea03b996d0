// On POSIX the hive is the file `registry.reg` (SPEC §2), watched by inotify.
#include "host/hive_file.hpp"
#include "host/hive_store.hpp"
#include "host/hive_watch.hpp"
#include "host/paths.hpp"

namespace vigil {

std::unique_ptr<hive_store> open_hive_store(const paths& p) {
  return std::make_unique<hive_file>(p.hive_file());
}

caf::expected<std::unique_ptr<hive_watcher>> open_hive_watcher(const paths& p) {
  auto watch = hive_watch::open(p.hive_file());
  if (!watch)
    return watch.error();
  return std::make_unique<hive_watch>(std::move(*watch));
}

} // namespace vigil
