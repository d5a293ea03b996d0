#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace vigil::test {

/// The real `vigil-platform serve` on 127.0.0.1, in a data directory of the
/// test's, restartable on the same port (agents keep their WebServiceUri).
class platform_process {
public:
  /// Picks a free port and, unless `start_now` is false, starts it and waits
  /// (with a deadline) until it prints `listening https://...`.
  explicit platform_process(std::filesystem::path data_dir, bool start_now = true);
  /// The same, with more arguments for `serve` (e.g. {"--store", URL}).
  platform_process(std::filesystem::path data_dir, std::vector<std::string> serve_args,
                   bool start_now = true);
  ~platform_process();

  /// Starts it (again, after `kill` or `terminate`) on its port.
  void start();
  /// SIGKILL: no chance to clean up.
  void kill();
  /// SIGTERM, and returns the exit code.
  int terminate();

  uint16_t port() const noexcept { return port_; }
  /// "https://127.0.0.1:PORT/CloudAgent/".
  std::string web_service_uri() const;
  const std::filesystem::path& data_dir() const noexcept { return dir_; }
  /// The CA agents trust (`CaBundle=`).
  std::filesystem::path ca_file() const { return dir_ / "ca.pem"; }
  /// The public root key agents pin (`TrustKey=`): manifests are signed by it.
  std::filesystem::path trust_key_file() const { return dir_ / "signing-key.pub"; }
  /// The request log's text.
  std::string request_log() const;

  /// Runs `vigil-platform customer create` and returns {CustomerId, ActivationId}.
  std::pair<std::string, std::string> create_customer(const std::string& modules) const;

private:
  std::filesystem::path dir_;
  std::vector<std::string> serve_args_;
  uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

} // namespace vigil::test
