#pragma once

#include <caf/error.hpp>
#include <filesystem>
#include <string>
#include <string_view>

// What every file of host/windows needs from Win32's side of the seam: UTF-8
// (Vigil's strings) to UTF-16 (Win32's) and back, and a Win32 error code turned
// into a Vigil error naming the cause. Internal to host/windows.

namespace vigil::win {

/// UTF-8 `text` as UTF-16 for a `...W` call. Invalid UTF-8 becomes U+FFFD
/// (MultiByteToWideChar's replacement), never a truncated string.
std::wstring widen(std::string_view text);

/// UTF-16 from a `...W` call as UTF-8; an unpaired surrogate becomes U+FFFD.
std::string narrow(std::wstring_view text);

/// `GetLastError()`-style `code` as a Vigil error: not_found for a missing
/// file, path or registry key, permission_denied, already_exists, disk_full,
/// else io_error; the context is `what` and the system's message.
caf::error error_from(unsigned long code, std::string_view what);

/// `error_from(GetLastError(), what)`.
caf::error last_error(std::string_view what);

/// A path as UTF-8, for error messages.
std::string display(const std::filesystem::path& p);

/// A Win32 HANDLE (held as void*, so this header needs no <windows.h>),
/// closed on destruction. Null and INVALID_HANDLE_VALUE both mean none.
class unique_handle {
public:
  unique_handle() noexcept = default;
  explicit unique_handle(void* h) noexcept : h_{h} {}
  ~unique_handle();
  unique_handle(unique_handle&& other) noexcept : h_{other.release()} {}
  unique_handle& operator=(unique_handle&& other) noexcept;
  unique_handle(const unique_handle&) = delete;
  unique_handle& operator=(const unique_handle&) = delete;

  void* get() const noexcept { return h_; }
  void* release() noexcept;
  /// Whether a handle is held.
  explicit operator bool() const noexcept;

private:
  void* h_ = nullptr;
};

} // namespace vigil::win
