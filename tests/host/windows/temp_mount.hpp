#pragma once

#include <string>

#include "host/registry_hive.hpp"

// What the Windows host and scan tests share besides tests/support/temp_dir: a
// fresh registry key of the current user, removed with everything in it at the
// end, so no two cases (nor two runs) ever share a key.

namespace vigil::test {

/// A registry mount at `HKCU\Software\VigilTests\<unique>`, deleted with its
/// subtree on destruction.
class temp_mount {
public:
  temp_mount();
  ~temp_mount();
  temp_mount(const temp_mount&) = delete;
  temp_mount& operator=(const temp_mount&) = delete;

  const registry_mount& mount() const noexcept { return mount_; }

private:
  registry_mount mount_;
};

} // namespace vigil::test
