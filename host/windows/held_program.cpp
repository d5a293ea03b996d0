// The held program on Windows (held_program.hpp): a handle that shares read
// access only, so until it is closed no one can write, rename or delete the
// file, and CreateProcess (which opens it for reading and execution) starts
// the very bytes that were hashed.
#include "host/held_program.hpp"

#include <utility>
#include <windows.h>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "host/process.hpp"
#include "host/windows/wide.hpp"

namespace vigil {

namespace {

void close_held(std::intptr_t handle) {
  if (handle != -1)
    ::CloseHandle(reinterpret_cast<HANDLE>(handle));
}

/// This process's environment as "NAME=value" entries (the hidden "=C:"
/// entries of the drive's working directories left out).
std::vector<std::string> own_environment() {
  std::vector<std::string> out;
  wchar_t* block = ::GetEnvironmentStringsW();
  if (block == nullptr)
    return out;
  for (const wchar_t* entry = block; *entry != L'\0'; entry += wcslen(entry) + 1)
    if (entry[0] != L'=')
      out.push_back(win::narrow(entry));
  ::FreeEnvironmentStringsW(block);
  return out;
}

} // namespace

held_program::held_program(std::intptr_t handle, std::filesystem::path path) noexcept
  : handle_{handle}, path_{std::move(path)} {
}

held_program::held_program(held_program&& other) noexcept
  : handle_{std::exchange(other.handle_, -1)}, path_{std::move(other.path_)} {
}

held_program& held_program::operator=(held_program&& other) noexcept {
  if (this != &other) {
    close_held(handle_);
    handle_ = std::exchange(other.handle_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

held_program::~held_program() {
  close_held(handle_);
}

caf::expected<held_program> held_program::open(const std::filesystem::path& file) {
  std::error_code err;
  auto absolute = std::filesystem::absolute(file, err);
  if (err)
    return make_error(ec::invalid_argument, "open " + win::display(file) + ": " + err.message());
  // FILE_FLAG_OPEN_REPARSE_POINT opens a link itself, not its target: it is
  // refused below, as O_NOFOLLOW refuses one on POSIX.
  HANDLE h = ::CreateFileW(absolute.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
                           nullptr);
  if (h == INVALID_HANDLE_VALUE)
    return win::last_error("open " + win::display(absolute));
  held_program held{reinterpret_cast<std::intptr_t>(h), absolute};
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(h, &info))
    return win::last_error("inspect " + win::display(absolute));
  if (info.dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY))
    return make_error(ec::permission_denied,
                      "open " + win::display(absolute) + ": a link or a folder, not a program");
  return held;
}

caf::expected<std::string> held_program::sha256() const {
  sha256_hasher hasher;
  char buffer[64 * 1024];
  uint64_t offset = 0;
  for (;;) {
    // Positioned reads, from the start whatever was read before (pread).
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>(offset);
    at.OffsetHigh = static_cast<DWORD>(offset >> 32);
    DWORD n = 0;
    if (!::ReadFile(reinterpret_cast<HANDLE>(handle_), buffer, sizeof buffer, &n, &at)) {
      if (::GetLastError() == ERROR_HANDLE_EOF)
        break;
      return win::last_error("read " + win::display(path_));
    }
    if (n == 0)
      break;
    hasher.update(std::string_view{buffer, n});
    offset += n;
  }
  return hasher.finish_hex();
}

caf::expected<void> held_program::hand_over(const std::vector<std::string>& argv) const {
  if (argv.empty())
    return make_error(ec::invalid_argument, "no program name");
  // Windows starts a program by its path only: the held path, which the
  // handle keeps from changing until the start is done.
  auto args = argv;
  args[0] = win::narrow(path_.wstring());
  auto started = start_detached(args, own_environment());
  if (!started)
    return started.error();
  return {};
}

} // namespace vigil
