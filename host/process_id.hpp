#pragma once

// Process ids, the one thing about other processes the agent asks without
// starting one (process.hpp starts them): its own id, and whether a process
// it recorded (the upgrade watcher, the supervisor) still runs; and this
// process's own program file.

#include <filesystem>

namespace vigil {

/// A path that opens the program file this process runs, to read what was
/// appended to it (vigil-setup's payload): POSIX `/proc/self/exe`, which
/// opens the file even after it was replaced or removed; Windows the module's
/// path (GetModuleFileNameW), which cannot be replaced while it runs.
std::filesystem::path current_program_file();

/// This process's id (getpid, GetCurrentProcessId).
int current_process_id() noexcept;

/// Whether a process with id `pid` exists now (and has not exited): POSIX
/// asks with signal 0, Windows opens it and asks for its exit code. A
/// process this one may not signal or open still counts as alive; `pid` <= 0
/// never does. Ids are reused: the answer is about the id, not the program.
bool process_alive(int pid) noexcept;

} // namespace vigil
