#include "host/process_id.hpp"

#include <string>
#include <windows.h>

namespace vigil {

std::filesystem::path current_program_file() {
  std::wstring name(MAX_PATH, L'\0');
  for (;;) {
    auto n = ::GetModuleFileNameW(nullptr, name.data(), static_cast<DWORD>(name.size()));
    if (n < name.size()) {
      name.resize(n);
      return name;
    }
    name.resize(name.size() * 2); // truncated: a long path
  }
}

int current_process_id() noexcept {
  return static_cast<int>(::GetCurrentProcessId());
}

bool process_alive(int pid) noexcept {
  if (pid <= 0)
    return false;
  HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr)
    // ERROR_INVALID_PARAMETER: no such process; access denied: one we may not open.
    return ::GetLastError() == ERROR_ACCESS_DENIED;
  // A process object outlives the process while handles to it are open: it
  // is signaled once the process exited (an exit code could be 259, the
  // value of STILL_ACTIVE, too).
  bool alive = ::WaitForSingleObject(process, 0) == WAIT_TIMEOUT;
  ::CloseHandle(process);
  return alive;
}

} // namespace vigil
