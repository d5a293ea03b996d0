// Where SPEC §18 puts things on Windows (paths.hpp).
//
// Under a test root (`--root DIR`, VIGIL_ROOT) the folders take their default
// names under it: `<root>\Program Files\Vigil\VigilAgent`,
// `<root>\ProgramData\Vigil\VigilAgent`, `<root>\Windows\Logs\Vigil`, so a test never touches the
// real system. At the system's root the folders are the system's own, which an
// administrator may have moved: they come from the known-folder API first
// (SHGetKnownFolderPath answers from the machine's configuration, not from our
// process's environment, which whoever started us chose), then from the
// environment (%ProgramW6432%, %ProgramFiles%, %ProgramData%, %SystemRoot%),
// then from the default names.
#include "host/paths.hpp"

#include <cstdlib>
#include <windows.h>
#include <knownfolders.h>
#include <shlobj.h>

#include "host/windows/wide.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

/// The known folder `id`, else the environment variable `env`, else nothing.
std::optional<fs::path> system_folder(const KNOWNFOLDERID& id, const wchar_t* env) {
  PWSTR path = nullptr;
  std::optional<fs::path> result;
  if (SUCCEEDED(::SHGetKnownFolderPath(id, KF_FLAG_DONT_VERIFY, nullptr, &path)) && path && *path)
    result = fs::path{path};
  ::CoTaskMemFree(path);
  if (result)
    return result;
  if (const wchar_t* value = ::_wgetenv(env); value && *value)
    return fs::path{value};
  return std::nullopt;
}

/// `<base>\Vigil\VigilAgent`: the vendor and product folders of SPEC §18.
fs::path product(const fs::path& base) { return base / L"Vigil" / L"VigilAgent"; }

} // namespace

fs::path paths::system_root() {
  if (const wchar_t* drive = ::_wgetenv(L"SystemDrive"); drive && *drive)
    return fs::path{std::wstring{drive} + L"\\"};
  return fs::path{L"C:\\"};
}

bool paths::is_system_root() const {
  // Drive letters and folder names compare without case on Windows.
  return ::_wcsicmp(root_.c_str(), fs::absolute(system_root()).lexically_normal().c_str()) == 0;
}

fs::path paths::program_files() const {
  if (is_system_root())
    // The 64-bit folder even if a 32-bit parent's environment says otherwise.
    if (auto dir = system_folder(FOLDERID_ProgramFiles, L"ProgramW6432"))
      return product(*dir);
  return product(under("Program Files"));
}
fs::path paths::bin_dir() const { return program_files() / L"bin"; }
fs::path paths::program(std::string_view name) const {
  return bin_dir() / (std::string{name} + ".exe");
}
fs::path paths::lib_dir() const { return program_files() / L"lib"; }
fs::path paths::version_file() const { return program_files() / L"VERSION"; }
fs::path paths::health_check_dir() const { return program_files() / L"HealthCheck"; }

fs::path paths::program_data() const {
  if (is_system_root())
    if (auto dir = system_folder(FOLDERID_ProgramData, L"ProgramData"))
      return product(*dir);
  return product(under("ProgramData"));
}
fs::path paths::state_dir() const { return program_data() / L"state"; }
fs::path paths::store_dir() const { return state_dir() / L"store"; }
fs::path paths::log_dir() const { return program_data() / L"Log"; }
fs::path paths::manifests_dir() const { return program_data() / L"Manifests"; }
fs::path paths::patch_dir() const { return program_data() / L"Patch"; }

fs::path paths::fallback_log_dir() const {
  if (is_system_root())
    if (auto dir = system_folder(FOLDERID_Windows, L"SystemRoot"))
      return *dir / L"Logs" / L"Vigil";
  return under("Windows") / L"Logs" / L"Vigil";
}
fs::path paths::host_key_file() const { return program_data() / L"host.key"; }
fs::path paths::installer_log() const { return program_data() / L"CloudAgentInstaller.log"; }
fs::path paths::fallback_installer_log() const {
  return fallback_log_dir() / L"CloudAgentInstaller.log";
}

// No Windows meaning (paths.hpp): the settings are the registry
// (registry_hive.hpp), the machine-id is MachineGuid, proxies and DNS come
// from the system's APIs, the service is the SCM's. Paths under program data
// that nothing creates keep their callers compiling and find nothing.
fs::path paths::hive_file() const { return program_data() / L"unused" / L"registry.reg"; }
fs::path paths::machine_id_file() const { return program_data() / L"unused" / L"machine-id"; }
fs::path paths::etc_environment() const { return program_data() / L"unused" / L"environment"; }
fs::path paths::resolv_conf() const { return program_data() / L"unused" / L"resolv.conf"; }
fs::path paths::systemd_unit() const {
  return program_data() / L"unused" / L"vigil-agent.service";
}
fs::path paths::install_conf() const { return program_data() / L"unused" / L"install.conf"; }

} // namespace vigil
