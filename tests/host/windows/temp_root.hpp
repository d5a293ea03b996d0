#pragma once

#include <filesystem>
#include <string>

#include "host/registry_hive.hpp"

// What the Windows host tests share: a fresh folder and a fresh registry key
// of the current user, each removed with everything in it at the end, so no
// two cases (nor two runs) ever share a file or a key.

namespace vigil::test {

/// A fresh folder under %TEMP%.
class temp_root {
public:
  temp_root();
  ~temp_root();
  temp_root(const temp_root&) = delete;
  temp_root& operator=(const temp_root&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }

private:
  std::filesystem::path path_;
};

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

/// Writes `bytes` to `file` as they are (creating parents).
void write_bytes(const std::filesystem::path& file, const std::string& bytes);

/// The bytes of `file`; empty when missing.
std::string read_bytes(const std::filesystem::path& file);

} // namespace vigil::test
