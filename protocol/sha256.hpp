#pragma once

// The wire's digests (delta completion, token digests) are common/sha256.hpp's;
// protocol code names them as protocol::sha256_hex etc.

#include "common/sha256.hpp"

namespace vigil::protocol {

using vigil::is_sha256_hex;
using vigil::sha256_hasher;
using vigil::sha256_hex;

} // namespace vigil::protocol
