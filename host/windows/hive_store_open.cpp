// On Windows the hive is the registry (SPEC §18): the machine's own key at the
// system root; under a test root, a key of the current user named after the
// root, so every process given the same `--root` shares one hive and no test
// touches HKEY_LOCAL_MACHINE or needs an administrator.
#include <cstdint>
#include <cstdio>

#include "host/hive_store.hpp"
#include "host/paths.hpp"
#include "host/registry_hive.hpp"
#include "host/registry_watch.hpp"

namespace vigil {

namespace {

/// 64-bit FNV-1a of the root's text, without case (Windows paths compare so).
std::uint64_t root_hash(const std::filesystem::path& root) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (wchar_t c : root.wstring()) {
    if (c >= L'A' && c <= L'Z')
      c = static_cast<wchar_t>(c - L'A' + L'a');
    h = (h ^ static_cast<std::uint64_t>(c)) * 0x100000001b3ull;
  }
  return h;
}

registry_mount mount_for(const paths& p) {
  if (p.is_system_root())
    return registry_mount::agent();
  char name[40];
  std::snprintf(name, sizeof name, "root-%016llx", static_cast<unsigned long long>(root_hash(p.root())));
  return registry_mount::user(std::string{"Software\\VigilTests\\"} + name);
}

} // namespace

std::unique_ptr<hive_store> open_hive_store(const paths& p) {
  return std::make_unique<registry_hive>(mount_for(p));
}

caf::expected<std::unique_ptr<hive_watcher>> open_hive_watcher(const paths& p) {
  auto watch = registry_watch::open(mount_for(p));
  if (!watch)
    return watch.error();
  return std::make_unique<registry_watch>(std::move(*watch));
}

} // namespace vigil
