#include "storage/kv_store.hpp"

namespace vigil {

// Anchors the vtable in one translation unit.
kv_store::~kv_store() = default;

} // namespace vigil
