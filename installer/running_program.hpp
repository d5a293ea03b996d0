#pragma once

#include <caf/expected.hpp>
#include <filesystem>

namespace vigil {

/// Windows cannot remove the file of a program that runs, but can rename it
/// on its volume: vigil-uninstall.exe run from the program files it removes
/// (as the guide runs Uninstall.exe) moves its own file to a temporary folder
/// first, to be removed when the machine restarts, so the program files go
/// whole and the caller still waits for this process and reads its exit
/// code. Nothing to do when this program is not under `dir`, and on POSIX,
/// which removes a running program's file.
caf::expected<void> move_running_program_out_of(const std::filesystem::path& dir);

} // namespace vigil
