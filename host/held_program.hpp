#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

// A program the agent verified and then starts to act outside itself: the
// staged vigil-setup of a self-upgrade (SPEC §12), vigil-uninstall for an
// uninstall order. Between the hash and the start nobody may swap the file:
// POSIX holds a descriptor and starts those very bytes (fexecve, or systemd
// by the path only root may write to); Windows opens it without sharing
// write or delete access, so the file cannot change or move while it is
// held, and starts it by its path.

namespace vigil {

/// A program file held open from its verification to its start.
class held_program {
public:
  /// Opens `file` for reading. A symbolic link (a reparse point on Windows)
  /// at `file` is refused rather than followed; a missing file is
  /// `ec::not_found`.
  static caf::expected<held_program> open(const std::filesystem::path& file);

  held_program(held_program&& other) noexcept;
  held_program& operator=(held_program&& other) noexcept;
  held_program(const held_program&) = delete;
  held_program& operator=(const held_program&) = delete;
  /// Closes the file.
  ~held_program();

  /// The SHA-256 (hex) of the held file, read from its start: the bytes
  /// `hand_over` starts, whatever happened to the path meanwhile.
  caf::expected<std::string> sha256() const;

  /// Starts the held program with `argv` (argv[0] its name) so that it
  /// outlives this process and a stop of the agent's service does not reach
  /// it, and returns once it runs. POSIX: host/service_manager's
  /// `start_handover` (a transient systemd service, else a new session from
  /// the descriptor). Windows: a detached process in a new process group,
  /// out of the agent's job object when that allows it, with this process's
  /// environment.
  caf::expected<void> hand_over(const std::vector<std::string>& argv) const;

  /// The path it was opened by.
  const std::filesystem::path& path() const noexcept {
    return path_;
  }

private:
  held_program(std::intptr_t handle, std::filesystem::path path) noexcept;

  std::intptr_t handle_ = -1; // a descriptor or a HANDLE; -1: none
  std::filesystem::path path_;
};

} // namespace vigil
