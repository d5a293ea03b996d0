// Fatal faults on Windows (host/fatal_fault.hpp): the process's unhandled-
// exception filter writes one line (the exception code, its name, the
// address and its offset in the module, for addr2line or winedbg) and lets
// the system end the process as it would have (EXCEPTION_CONTINUE_SEARCH):
// the service control manager sees the same exit code and recovers.
#include "host/fatal_fault.hpp"

#include <windows.h>

#include <exception>

namespace vigil {

namespace {

HANDLE report_file = INVALID_HANDLE_VALUE;

std::string_view exception_name(DWORD code) noexcept {
  switch (code) {
    case EXCEPTION_ACCESS_VIOLATION: return "access violation";
    case EXCEPTION_STACK_OVERFLOW: return "stack overflow";
    case EXCEPTION_ILLEGAL_INSTRUCTION: return "illegal instruction";
    case EXCEPTION_INT_DIVIDE_BY_ZERO: return "integer division by zero";
    case EXCEPTION_IN_PAGE_ERROR: return "in-page error";
    case EXCEPTION_PRIV_INSTRUCTION: return "privileged instruction";
    case EXCEPTION_BREAKPOINT: return "breakpoint";
    default: return "unhandled exception";
  }
}

LONG WINAPI on_unhandled_exception(EXCEPTION_POINTERS* pointers) {
  detail::fault_text what;
  const auto* record = pointers ? pointers->ExceptionRecord : nullptr;
  auto code = record ? record->ExceptionCode : 0;
  what.put(exception_name(code));
  what.put(" (");
  what.put_hex(code);
  what.put(")");
  if (record) {
    auto address = reinterpret_cast<uintptr_t>(record->ExceptionAddress);
    what.put(" at ");
    what.put_hex(address);
    HMODULE module = nullptr;
    char name[MAX_PATH];
    if (::GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS
                               | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                             static_cast<LPCSTR>(record->ExceptionAddress), &module)
        && ::GetModuleFileNameA(module, name, sizeof(name)) > 0) {
      std::string_view file{name};
      if (auto slash = file.find_last_of("\\/"); slash != std::string_view::npos)
        file.remove_prefix(slash + 1);
      what.put(" (");
      what.put(file);
      what.put("+");
      what.put_hex(address - reinterpret_cast<uintptr_t>(module));
      what.put(")");
    }
  }
  char line[512];
  detail::write_fault_line(line, detail::format_fault_line(line, sizeof(line), what.view()));
  return EXCEPTION_CONTINUE_SEARCH;
}

} // namespace

void report_fatal_faults(const std::filesystem::path& log_file) {
  auto file = ::CreateFileW(log_file.c_str(), FILE_APPEND_DATA,
                            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                            OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE)
    return;
  if (report_file != INVALID_HANDLE_VALUE)
    ::CloseHandle(report_file);
  report_file = file;
  ::SetUnhandledExceptionFilter(on_unhandled_exception);
  std::set_terminate(detail::terminate_with_report);
}

namespace detail {

void write_fault_line(const char* text, size_t length) noexcept {
  DWORD written = 0;
  if (report_file != INVALID_HANDLE_VALUE)
    ::WriteFile(report_file, text, static_cast<DWORD>(length), &written, nullptr);
}

unsigned long fault_thread_number() noexcept {
  return ::GetCurrentThreadId();
}

} // namespace detail

} // namespace vigil
