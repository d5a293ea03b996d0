#include "storage/lock_space.hpp"

namespace vigil {

held_lock::~held_lock() = default;

lock_space::~lock_space() = default;

} // namespace vigil
