#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tests/support/process.hpp"

namespace vigil::test {

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then
/// released). For programs that cannot bind port 0 and report it.
uint16_t free_port();

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
bool port_accepts(uint16_t port);

/// A real tinyproxy (Debian's) on 127.0.0.1, started in the foreground with
/// Basic authentication when a user is given; stopped on destruction.
class tinyproxy {
public:
  /// Starts it and waits (with a deadline) until it accepts connections.
  tinyproxy(const std::filesystem::path& dir, const std::string& user = {},
            const std::string& password = {});

  uint16_t port() const noexcept { return port_; }
  /// "http://127.0.0.1:PORT".
  std::string url() const;
  /// Stops it (SIGKILL), so the port refuses connections from now on.
  void kill();
  /// Its log (the requests it relayed).
  std::string log() const;

private:
  uint16_t port_ = 0;
  std::filesystem::path log_;
  std::unique_ptr<child_process> process_;
};

/// A real haproxy (Debian's) on 127.0.0.1 in TCP mode, balancing round robin
/// over `backends` (ports on 127.0.0.1): TLS passes through to them, each
/// is health-checked every 300 ms, and a connection a dead one refuses goes
/// to another (`option redispatch`), as in front of several platform
/// instances. Stopped on destruction.
class haproxy {
public:
  /// Starts it and waits (with a deadline) until it accepts connections.
  haproxy(const std::filesystem::path& dir, const std::vector<uint16_t>& backends);

  uint16_t port() const noexcept { return port_; }
  /// Its log (stderr: servers going up and down).
  std::string log() const;

private:
  uint16_t port_ = 0;
  std::filesystem::path log_;
  std::unique_ptr<child_process> process_;
};

/// A slow link: a TCP relay on 127.0.0.1 to 127.0.0.1:`target_port` that
/// passes the client's bytes on at most `bytes_per_second` and the answers
/// at most `down_bytes_per_second` (0: full speed)
/// (tests/support/throttled_relay.py); stopped on destruction.
class throttled_relay {
public:
  /// Starts it and waits (with a deadline) until it accepts connections.
  throttled_relay(const std::filesystem::path& dir, uint16_t target_port,
                  size_t bytes_per_second, size_t down_bytes_per_second = 0);

  uint16_t port() const noexcept { return port_; }

private:
  uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

/// Whoever holds the TLS path to the platform: an HTTPS server on 127.0.0.1
/// with the platform's own certificate (so agents trusting its CA accept it)
/// that forwards to the real platform and, as `set` says, replaces the
/// check-in's upgrade offer, serves chosen package bytes, or answers
/// check-ins with an HTTP status (tests/support/hostile_relay.py); stopped on
/// destruction.
class hostile_relay {
public:
  /// Starts it in front of the platform whose data directory (certificate,
  /// key) and port are given; waits (with a deadline) until it accepts.
  hostile_relay(const std::filesystem::path& dir, const std::filesystem::path& platform_dir,
                uint16_t platform_port);

  uint16_t port() const noexcept { return port_; }
  /// "https://127.0.0.1:PORT/CloudAgent/", for agents to use.
  std::string web_service_uri() const;
  /// Replaces the rules (atomically): {"offer": {...} or null, "packages":
  /// {"VERSION": "file"}, "checkin_status": N}; {} relays unchanged.
  void set(const nlohmann::json& rules);
  /// "METHOD PATH STATUS" per request answered, oldest first.
  std::string log() const;

private:
  std::filesystem::path control_;
  std::filesystem::path log_;
  uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

/// A real `openssl s_server -www` on 127.0.0.1 serving `cert`/`key` with extra
/// arguments (e.g. {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}).
class openssl_server {
public:
  openssl_server(const std::filesystem::path& cert, const std::filesystem::path& key,
                 const std::vector<std::string>& extra = {},
                 const std::filesystem::path& log = {});

  uint16_t port() const noexcept { return port_; }

private:
  uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

} // namespace vigil::test
