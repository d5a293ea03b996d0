#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "net/http_message.hpp"
#include "host/url.hpp"

namespace vigil {

/// Which certificates a client trusts (SPEC §11).
struct tls_trust {
  /// The system trust store (/etc/ssl/certs; on Windows the machine's ROOT
  /// certificate store). Off only in tests that need to prove a CA is *not*
  /// trusted.
  bool use_system_store = true;
  /// An extra PEM bundle (setup's `CaBundle=`), trusted in addition.
  std::optional<std::filesystem::path> ca_bundle;
};

/// Tunables of an https_client; defaults are the agent's production values.
struct client_options {
  tls_trust trust;
  std::chrono::milliseconds connect_timeout{10'000}; ///< TCP connect + TLS handshake
  std::chrono::milliseconds io_timeout{30'000};      ///< each write and each read
  std::size_t max_response_bytes = 64 * 1024 * 1024; ///< larger bodies fail: ec::too_large
  std::string user_agent = "vigil-agent/0.1";
  /// How long a connection stays open after a response for the next request
  /// to the same server through the same proxy (0: a new connection for every
  /// request). A check-in cycle's requests and an upload's chunks then share
  /// one TLS handshake. Below the platform's own idle timeout (30 s), so the
  /// server rarely closes a connection the client still counts on.
  std::chrono::milliseconds keep_alive{15'000};
  /// Idle connections kept at most (the oldest is closed first).
  std::size_t max_idle_connections = 4;
};

/// Credentials for HTTP proxies (one pair for every proxy, SPEC §10).
struct proxy_credentials {
  std::string username;
  std::string password;

  bool empty() const noexcept { return username.empty() && password.empty(); }
};

/// An HTTP(S) client for one request at a time per call, safe to call from
/// several threads at once. Connections are kept alive between calls
/// (`client_options::keep_alive`) and shared by copies of the client; a kept
/// connection the server closed meanwhile is replaced by a new one for the
/// same request, once. TLS 1.2 or newer only; the peer's chain and host
/// name (or IP) are verified. Through a proxy, https goes by CONNECT (with
/// Basic authentication when credentials are given) and http by absolute-form
/// requests. Every failure is a named error:
/// `connection_refused`, `timeout`, `certificate_expired`,
/// `certificate_untrusted`, `host_name_mismatch`, `tls_protocol_version`,
/// `tls_error`, `proxy_auth_required`, `proxy_refused`, `network_error`,
/// `too_large` — each naming the server or proxy. The password never appears
/// in an error. Asio and Beast stay inside the implementation.
class https_client {
public:
  /// A client with `options`; fails when the CA bundle cannot be loaded.
  static caf::expected<https_client> make(client_options options = {});

  /// Sends `request` to `server` (scheme, host and port are used; the request's
  /// target is sent as given) directly, or through `proxy` when given. A
  /// response of any status is a success; only transport failures are errors.
  caf::expected<http_response> send(const url& server, http_request request,
                                    const std::optional<url>& proxy = std::nullopt,
                                    const proxy_credentials& credentials = {}) const;

  const client_options& options() const;

  /// Closes the kept connections that have been idle for `keep_alive` or
  /// longer (all of them with `all`): an idle agent keeps no socket and no
  /// TLS state for a server that closed its end long ago. Returns how many
  /// are still kept.
  std::size_t close_idle(bool all = false) const;

  /// The implementation's state (defined in the .cpp; opaque to users).
  struct impl;

private:
  explicit https_client(std::shared_ptr<const impl> state);
  std::shared_ptr<const impl> impl_;
};

/// `Basic base64(user:password)`, the value of a (Proxy-)Authorization header.
std::string basic_authorization(const proxy_credentials& credentials);

} // namespace vigil
