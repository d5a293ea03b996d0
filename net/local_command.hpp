#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace vigil {

/// Answers one command (a line of text, usually JSON) with one line of text.
using local_command_handler = std::function<std::string(const std::string& request)>;

/// A Unix-domain socket that serves local administration commands to a running
/// server (vigil-platform's `customer create` while `serve` runs). Only local
/// processes that can reach the socket file (mode 0600, owner only) can talk
/// to it. One request line, one response line per connection. POSIX only:
/// vigil-platform runs on Linux, and the Windows build leaves this out.
class local_command_server {
public:
  /// Binds `socket_path` (replacing a stale socket file) and serves on its own
  /// thread, calling `handler` for each request.
  static caf::expected<std::unique_ptr<local_command_server>>
  start(std::filesystem::path socket_path, local_command_handler handler);

  ~local_command_server();
  local_command_server(const local_command_server&) = delete;
  local_command_server& operator=(const local_command_server&) = delete;

  /// Stops serving and removes the socket file. Idempotent.
  void stop();

  /// The implementation's state (opaque).
  struct impl;

private:
  explicit local_command_server(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

/// Sends `request` to the server at `socket_path` and returns its answer.
/// Nothing listening is `ec::connection_refused` (or `ec::not_found` when the
/// socket file does not exist), so callers can fall back to working offline.
caf::expected<std::string> send_local_command(const std::filesystem::path& socket_path,
                                              const std::string& request,
                                              std::chrono::milliseconds timeout
                                              = std::chrono::seconds{30});

} // namespace vigil
