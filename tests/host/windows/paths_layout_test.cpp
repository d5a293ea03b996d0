#include "host/paths.hpp"

#include <cstdlib>
#include <doctest/doctest.h>
#include <windows.h>

#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

bool same_path(const fs::path& a, const fs::path& b) {
  return ::_wcsicmp(a.lexically_normal().c_str(), b.lexically_normal().c_str()) == 0;
}

fs::path env(const wchar_t* name) {
  auto* value = ::_wgetenv(name);
  REQUIRE(value);
  return value;
}

} // namespace

TEST_CASE("paths: a test root holds the Windows layout under it") {
  test::temp_dir dir;
  paths p{dir.path()};
  CHECK_FALSE(p.is_system_root());
  auto pf = dir.path() / "Program Files" / "Vigil" / "VigilAgent";
  auto pd = dir.path() / "ProgramData" / "Vigil" / "VigilAgent";
  CHECK(same_path(p.program_files(), pf));
  CHECK(same_path(p.bin_dir(), pf / "bin"));
  CHECK(same_path(p.version_file(), pf / "VERSION"));
  CHECK(same_path(p.health_check_dir(), pf / "HealthCheck"));
  CHECK(same_path(p.program_data(), pd));
  CHECK(same_path(p.state_dir(), pd / "state"));
  CHECK(same_path(p.store_dir(), pd / "state" / "store"));
  CHECK(same_path(p.log_dir(), pd / "Log"));
  CHECK(same_path(p.manifests_dir(), pd / "Manifests"));
  CHECK(same_path(p.patch_dir(), pd / "Patch"));
  CHECK(same_path(p.installer_log(), pd / "CloudAgentInstaller.log"));
  CHECK(same_path(p.fallback_log_dir(), dir.path() / "Windows" / "Logs" / "Vigil"));
  CHECK(same_path(p.fallback_installer_log(),
                  dir.path() / "Windows" / "Logs" / "Vigil" / "CloudAgentInstaller.log"));
  // No Windows meaning: under program data, never a system path.
  for (auto& other : {p.hive_file(), p.machine_id_file(), p.etc_environment(), p.resolv_conf(),
                      p.systemd_unit(), p.install_conf()})
    CHECK(same_path(other.parent_path(), pd / "unused"));
}

TEST_CASE("paths: the system root follows the system's own folders") {
  ::_wputenv(L"VIGIL_ROOT=");
  auto p = paths::from_environment(std::nullopt);
  CHECK(p.is_system_root());
  CHECK(same_path(p.root(), env(L"SystemDrive").native() + L"\\"));
  CHECK(same_path(p.program_files(), env(L"ProgramW6432") / "Vigil" / "VigilAgent"));
  CHECK(same_path(p.program_data(), env(L"ProgramData") / "Vigil" / "VigilAgent"));
  CHECK(same_path(p.fallback_log_dir(), env(L"SystemRoot") / "Logs" / "Vigil"));
  // --root beats the system.
  test::temp_dir dir;
  auto rooted = paths::from_environment(dir.path().string());
  CHECK_FALSE(rooted.is_system_root());
}
