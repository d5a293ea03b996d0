// The advisory lock on Windows (file_lock.hpp): LockFileEx, exclusive and
// failing at once, on the whole of the sibling `.lock` file, retried with the
// same growing pause and deadline as the POSIX flock. Closing the handle
// releases the lock, as on POSIX.
#include "host/file_lock.hpp"

#include <algorithm>
#include <thread>
#include <utility>
#include <windows.h>

#include "common/error.hpp"
#include "host/windows/wide.hpp"

namespace vigil {

namespace {

void close_lock(intptr_t handle) {
  if (handle != -1)
    ::CloseHandle(reinterpret_cast<HANDLE>(handle));
}

} // namespace

file_lock::~file_lock() { close_lock(handle_); }

file_lock::file_lock(file_lock&& other) noexcept : handle_{std::exchange(other.handle_, -1)} {
}

file_lock& file_lock::operator=(file_lock&& other) noexcept {
  if (this != &other) {
    close_lock(handle_);
    handle_ = std::exchange(other.handle_, -1);
  }
  return *this;
}

caf::expected<file_lock> lock_file(const std::filesystem::path& lock_file,
                                   std::chrono::milliseconds timeout) {
  // FILE_FLAG_OPEN_REPARSE_POINT: a link planted at the name is opened as
  // itself, never followed (O_NOFOLLOW's counterpart).
  HANDLE h = ::CreateFileW(lock_file.c_str(), GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
                           nullptr);
  if (h == INVALID_HANDLE_VALUE)
    return win::last_error("open " + win::display(lock_file));
  file_lock held{reinterpret_cast<intptr_t>(h)}; // closes the handle on every error below
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds{1};
  for (;;) {
    OVERLAPPED whole{};
    if (::LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD,
                     MAXDWORD, &whole))
      return held;
    auto code = ::GetLastError();
    if (code != ERROR_LOCK_VIOLATION && code != ERROR_IO_PENDING)
      return win::error_from(code, "LockFileEx " + win::display(lock_file));
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      return make_error(ec::lock_failed, "another process holds " + win::display(lock_file)
                                           + " for more than " + std::to_string(timeout.count())
                                           + " ms");
    std::this_thread::sleep_for(
      std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds{20});
  }
}

caf::expected<file_lock> lock_sibling(const std::filesystem::path& file,
                                      std::chrono::milliseconds timeout) {
  return lock_file(file.native() + L".lock", timeout);
}

} // namespace vigil
