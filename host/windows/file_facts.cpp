// file_facts on Windows (file_facts.hpp): the file itself, a reparse point
// (symbolic link, junction) included, opened with no access right beyond
// reading its attributes and security, so any file can be inspected.
#include "host/file_facts.hpp"

#include <windows.h>
#include <aclapi.h>

#include "common/error.hpp"
#include "host/windows/wide.hpp"

namespace vigil {

namespace {

/// 100 ns ticks since 1601 as nanoseconds since 1970.
int64_t unix_ns(LARGE_INTEGER ticks) {
  constexpr int64_t epoch_ticks = 116444736000000000LL; // 1970-01-01 in 1601 ticks
  return (ticks.QuadPart - epoch_ticks) * 100;
}

/// Whether `sid` is the Administrators group or LocalSystem: the owners of
/// what an installer puts in Program Files.
bool is_admin_sid(PSID sid) {
  return ::IsWellKnownSid(sid, WinBuiltinAdministratorsSid)
         || ::IsWellKnownSid(sid, WinLocalSystemSid);
}

} // namespace

caf::expected<file_facts> file_facts_of(const std::filesystem::path& file) {
  win::unique_handle h{::CreateFileW(file.c_str(), FILE_READ_ATTRIBUTES | READ_CONTROL,
                                     FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                     nullptr, OPEN_EXISTING,
                                     FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS,
                                     nullptr)};
  if (!h)
    return win::last_error("open " + win::display(file));
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(h.get(), &info))
    return win::last_error("GetFileInformationByHandle " + win::display(file));
  FILE_BASIC_INFO basic{};
  if (!::GetFileInformationByHandleEx(h.get(), FileBasicInfo, &basic, sizeof(basic)))
    return win::last_error("GetFileInformationByHandleEx " + win::display(file));
  file_facts facts;
  facts.regular = (info.dwFileAttributes
                   & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT
                      | FILE_ATTRIBUTE_DEVICE))
                  == 0;
  facts.device = info.dwVolumeSerialNumber;
  facts.inode = (uint64_t{info.nFileIndexHigh} << 32) | info.nFileIndexLow;
  facts.size = (uint64_t{info.nFileSizeHigh} << 32) | info.nFileSizeLow;
  facts.modified_ns = unix_ns(basic.LastWriteTime);
  facts.changed_ns = unix_ns(basic.ChangeTime);
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  auto rc = ::GetSecurityInfo(h.get(), SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner,
                              nullptr, nullptr, nullptr, &descriptor);
  if (rc != ERROR_SUCCESS)
    return win::error_from(rc, "GetSecurityInfo " + win::display(file));
  facts.owned_by_admin = owner && is_admin_sid(owner);
  ::LocalFree(descriptor);
  return facts;
}

bool running_as_admin() noexcept {
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token))
    return false;
  win::unique_handle owned{token};
  TOKEN_ELEVATION elevation{};
  DWORD size = 0;
  if (!::GetTokenInformation(token, TokenElevation, &elevation, sizeof(elevation), &size))
    return false;
  return elevation.TokenIsElevated != 0;
}

} // namespace vigil
