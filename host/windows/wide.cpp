#include "host/windows/wide.hpp"

#include <windows.h>

#include "common/error.hpp"

namespace vigil::win {

std::wstring widen(std::string_view text) {
  if (text.empty())
    return {};
  int n = ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n);
  return out;
}

std::string narrow(std::wstring_view text) {
  if (text.empty())
    return {};
  int n = ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr,
                                0, nullptr, nullptr);
  std::string out(static_cast<size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n,
                        nullptr, nullptr);
  return out;
}

caf::error error_from(unsigned long code, std::string_view what) {
  wchar_t* buffer = nullptr;
  auto n = ::FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM
                              | FORMAT_MESSAGE_IGNORE_INSERTS,
                            nullptr, code, 0, reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
  std::string message = n ? narrow({buffer, n}) : std::string{};
  if (buffer)
    ::LocalFree(buffer);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r'
                              || message.back() == ' ' || message.back() == '.'))
    message.pop_back();
  if (message.empty())
    message = "Windows error " + std::to_string(code);
  std::string context = std::string{what} + ": " + message;
  switch (code) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
      return make_error(ec::not_found, std::move(context));
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_WRITE_PROTECT:
      return make_error(ec::permission_denied, std::move(context));
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
      return make_error(ec::already_exists, std::move(context));
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
      return make_error(ec::disk_full, std::move(context));
    default:
      return make_error(ec::io_error, std::move(context));
  }
}

caf::error last_error(std::string_view what) {
  return error_from(::GetLastError(), what);
}

std::string display(const std::filesystem::path& p) {
  return narrow(p.native());
}

unique_handle::~unique_handle() {
  if (*this)
    ::CloseHandle(h_);
}

unique_handle& unique_handle::operator=(unique_handle&& other) noexcept {
  if (this != &other) {
    if (*this)
      ::CloseHandle(h_);
    h_ = other.release();
  }
  return *this;
}

void* unique_handle::release() noexcept {
  auto h = h_;
  h_ = nullptr;
  return h;
}

unique_handle::operator bool() const noexcept {
  return h_ != nullptr && h_ != INVALID_HANDLE_VALUE;
}

} // namespace vigil::win
