// scan/host_files.hpp on Windows: CreateFileW with FILE_FLAG_OPEN_REPARSE_POINT
// (so no call ever follows a link: root_fs resolves them under the root),
// GetFileInformationByHandle, FSCTL_GET_REPARSE_POINT and FindFirstFileExW.
// Symbolic links and junctions (mount points) are both "symlink": either would
// otherwise let a path leave the root.
#include "scan/host_files.hpp"

#include <cstring>
#include <memory>
#include <windows.h>
#include <winioctl.h>

#include "common/error.hpp"
#include "host/windows/wide.hpp"

namespace vigil::scan {

/// An open handle and the in-root path its errors name.
class handle_reader final : public file_reader::impl {
public:
  handle_reader(win::unique_handle file, uint64_t size, std::string shown)
    : file_{std::move(file)}, size_{size}, shown_{std::move(shown)} {}

  caf::expected<size_t> read(char* buffer, size_t size) override {
    DWORD got = 0;
    auto want = static_cast<DWORD>(std::min<size_t>(size, 1u << 30));
    if (!::ReadFile(file_.get(), buffer, want, &got, nullptr))
      return win::last_error(shown_);
    return static_cast<size_t>(got);
  }

  uint64_t size() const noexcept override { return size_; }

private:
  win::unique_handle file_;
  uint64_t size_;
  std::string shown_;
};

namespace {

/// Opens `file` itself (a link as the link) with `access`, sharing everything,
/// so a scan never stands in another program's way.
win::unique_handle open_no_follow(const std::filesystem::path& file, DWORD access, DWORD flags) {
  return win::unique_handle{::CreateFileW(file.c_str(), access,
                                          FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                          nullptr, OPEN_EXISTING,
                                          FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS
                                            | flags,
                                          nullptr)};
}

/// Seconds since the Unix epoch of a FILETIME (100 ns ticks since 1601).
int64_t unix_seconds(const FILETIME& t) noexcept {
  auto ticks = (static_cast<uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime;
  return static_cast<int64_t>(ticks / 10000000) - 11644473600;
}

/// Whether the reparse point `h` is a link a path could leave the root by.
bool is_link(HANDLE h) {
  FILE_ATTRIBUTE_TAG_INFO tag{};
  if (!::GetFileInformationByHandleEx(h, FileAttributeTagInfo, &tag, sizeof(tag)))
    return false;
  return tag.ReparseTag == IO_REPARSE_TAG_SYMLINK || tag.ReparseTag == IO_REPARSE_TAG_MOUNT_POINT;
}

caf::expected<file_info> info_of(HANDLE h, std::string_view shown) {
  BY_HANDLE_FILE_INFORMATION by{};
  if (!::GetFileInformationByHandle(h, &by))
    return win::last_error(shown);
  file_info info;
  bool dir = (by.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  if ((by.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0 && is_link(h))
    info.type = file_type::symlink;
  else if (dir)
    info.type = file_type::dir;
  else if (::GetFileType(h) == FILE_TYPE_DISK)
    info.type = file_type::file;
  else
    info.type = file_type::character;
  bool read_only = (by.dwFileAttributes & FILE_ATTRIBUTE_READONLY) != 0;
  info.mode = (read_only ? 0444u : 0666u) | (dir ? 0111u : 0u);
  info.size = dir ? 0 : (static_cast<uint64_t>(by.nFileSizeHigh) << 32) | by.nFileSizeLow;
  info.mtime = unix_seconds(by.ftLastWriteTime);
  info.device = by.dwVolumeSerialNumber;
  info.inode = (static_cast<uint64_t>(by.nFileIndexHigh) << 32) | by.nFileIndexLow;
  return info;
}

/// The reparse data of a symbolic link or a junction (ntifs.h's
/// REPARSE_DATA_BUFFER, which user-mode headers do not declare).
struct reparse_header {
  ULONG tag;
  USHORT data_length;
  USHORT reserved;
  USHORT substitute_offset;
  USHORT substitute_length;
  USHORT print_offset;
  USHORT print_length;
};

/// A link's target as the in-root text root_fs resolves: '/' separators; an
/// absolute target (`C:\x`, `\??\C:\x`, `\x`) is rooted at the root (`/x`).
std::string in_root_text(std::wstring target) {
  if (target.rfind(L"\\??\\", 0) == 0)
    target.erase(0, 4);
  if (target.size() >= 2 && target[1] == L':')
    target.erase(0, 2);
  auto text = win::narrow(target);
  for (auto& c : text)
    if (c == '\\')
      c = '/';
  return text;
}

} // namespace

namespace host_files {

caf::expected<file_info> lstat(const std::filesystem::path& file, std::string_view shown) {
  auto h = open_no_follow(file, FILE_READ_ATTRIBUTES, 0);
  if (!h)
    return win::last_error(shown);
  return info_of(h.get(), shown);
}

caf::expected<std::string> read_link(const std::filesystem::path& file, std::string_view shown) {
  auto h = open_no_follow(file, FILE_READ_ATTRIBUTES, 0);
  if (!h)
    return win::last_error(shown);
  std::vector<char> buffer(MAXIMUM_REPARSE_DATA_BUFFER_SIZE);
  DWORD got = 0;
  if (!::DeviceIoControl(h.get(), FSCTL_GET_REPARSE_POINT, nullptr, 0, buffer.data(),
                         static_cast<DWORD>(buffer.size()), &got, nullptr))
    return win::last_error(shown);
  reparse_header head{};
  if (got < sizeof(head))
    return make_error(ec::io_error, std::string{shown} + ": short reparse data");
  std::memcpy(&head, buffer.data(), sizeof(head));
  // Symbolic links carry a ULONG of flags before their path buffer.
  size_t paths = sizeof(head);
  if (head.tag == IO_REPARSE_TAG_SYMLINK)
    paths += sizeof(ULONG);
  else if (head.tag != IO_REPARSE_TAG_MOUNT_POINT)
    return make_error(ec::invalid_argument, std::string{shown} + ": not a symbolic link");
  // The print name is the target as written; an empty one: the substitute.
  auto offset = head.print_length ? head.print_offset : head.substitute_offset;
  auto length = head.print_length ? head.print_length : head.substitute_length;
  if (paths + offset + length > got)
    return make_error(ec::io_error, std::string{shown} + ": malformed reparse data");
  std::wstring target(length / sizeof(wchar_t), L'\0');
  std::memcpy(target.data(), buffer.data() + paths + offset, length);
  return in_root_text(std::move(target));
}

caf::expected<file_reader> open_regular(const std::filesystem::path& file,
                                        const file_info& before, std::string_view shown) {
  auto h = open_no_follow(file, GENERIC_READ, FILE_FLAG_SEQUENTIAL_SCAN);
  if (!h)
    return win::last_error(shown);
  auto after = info_of(h.get(), shown);
  if (!after || !after->is_regular() || after->inode != before.inode
      || after->device != before.device)
    return make_error(ec::io_error, std::string{shown} + ": changed while being opened");
  return file_reader{std::make_unique<handle_reader>(std::move(h), after->size,
                                                         std::string{shown})};
}

caf::expected<std::vector<std::string>> list_dir(const std::filesystem::path& dir,
                                                 std::string_view shown) {
  WIN32_FIND_DATAW found{};
  auto pattern = dir / L"*";
  std::unique_ptr<void, decltype(&::FindClose)> find{
    ::FindFirstFileExW(pattern.c_str(), FindExInfoBasic, &found, FindExSearchNameMatch, nullptr,
                       0),
    ::FindClose};
  std::vector<std::string> names;
  if (find.get() == INVALID_HANDLE_VALUE) {
    find.release();
    auto code = ::GetLastError();
    if (code == ERROR_FILE_NOT_FOUND) // a drive's root with nothing in it
      return names;
    return win::error_from(code, shown);
  }
  do {
    std::wstring_view name = found.cFileName;
    if (name != L"." && name != L"..")
      names.push_back(win::narrow(name));
  } while (::FindNextFileW(find.get(), &found));
  if (auto code = ::GetLastError(); code != ERROR_NO_MORE_FILES)
    return win::error_from(code, shown);
  return names;
}

} // namespace host_files

} // namespace vigil::scan
