#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "net/http_message.hpp"

namespace vigil {

/// Tunables of an https_server.
struct server_options {
  std::string listen_host = "127.0.0.1";             ///< an address, IPv4 or IPv6
  uint16_t port = 0;                                  ///< 0 picks a free port
  std::filesystem::path certificate_chain;           ///< PEM: leaf first, then CAs
  std::filesystem::path private_key;                 ///< PEM
  std::size_t max_body_bytes = 16 * 1024 * 1024;      ///< larger requests get 413
  std::chrono::milliseconds idle_timeout{30'000};     ///< per read/write and keep-alive
  /// io threads serving connections, each with a listener of its own; one
  /// on Windows, which cannot spread a port's connections over listeners
  unsigned threads = 2;
};

/// Handles one request; runs on a server thread, concurrently with others.
/// Must not throw (an exception becomes a 500 answer).
using http_handler = std::function<http_response(const http_request&)>;

/// An HTTPS/1.1 server with keep-alive, TLS 1.2 or newer only. Malformed
/// requests get 400 and oversized ones 413 without reaching the handler; a bad
/// client never stops the server. Asio and Beast stay inside the
/// implementation.
class https_server {
public:
  /// Binds, loads the certificate and starts serving on its own threads.
  static caf::expected<std::unique_ptr<https_server>> start(server_options options,
                                                            http_handler handler);

  ~https_server();
  https_server(const https_server&) = delete;
  https_server& operator=(const https_server&) = delete;

  /// The port actually bound (useful with port 0).
  uint16_t port() const noexcept;

  /// Graceful stop: stops accepting, lets requests in progress finish (up to
  /// `grace`), then closes every connection and joins the threads. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds{5});

  /// The implementation's state (defined in the .cpp; opaque to users).
  struct impl;

private:
  explicit https_server(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

} // namespace vigil
