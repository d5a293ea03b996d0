#include "host/process_id.hpp"

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace vigil {

std::filesystem::path current_program_file() {
  return "/proc/self/exe";
}

int current_process_id() noexcept {
  return static_cast<int>(::getpid());
}

bool process_alive(int pid) noexcept {
  if (pid <= 0)
    return false;
  // EPERM: it exists and belongs to another user.
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

} // namespace vigil
