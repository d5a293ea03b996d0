#pragma once

#include <array>
#include <caf/expected.hpp>

#include "host/paths.hpp"

// The seam under secret_box (issue 20): where the key that seals secrets comes
// from is the operating system's business, how it seals is not.

namespace vigil {

/// 32 bytes of key material that wipe themselves when destroyed.
struct machine_key {
  std::array<unsigned char, 32> bytes{};

  machine_key() = default;
  machine_key(const machine_key& other) : bytes{other.bytes} {}
  machine_key& operator=(const machine_key& other) {
    bytes = other.bytes;
    return *this;
  }
  ~machine_key();
};

/// The key secret_box seals with, bound to this machine and created on first
/// use in `secret_box::host_key_file(p)`:
/// - POSIX (host/posix/machine_key.cpp): HKDF-SHA256 of the file's 32 random
///   bytes (0600, ours or root's alone) and of the machine-id, so a disk copied
///   to a clone with a new machine-id opens nothing;
/// - Windows (host/windows/machine_key.cpp): the file's 32 random bytes as
///   sealed by DPAPI in machine scope (CryptProtectData), which only this
///   machine can unseal.
/// Errors name the file and what is wrong with it.
caf::expected<machine_key> load_machine_key(const paths& p);

} // namespace vigil
