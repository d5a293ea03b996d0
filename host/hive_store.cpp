#include "host/hive_store.hpp"

namespace vigil {

hive_store::~hive_store() = default;

hive_watcher::~hive_watcher() = default;

} // namespace vigil
