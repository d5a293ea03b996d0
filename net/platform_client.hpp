#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/https_client.hpp"
#include "net/proxy_chain.hpp"
#include "protocol/checkin.hpp"
#include "protocol/manifest.hpp"
#include "protocol/profile.hpp"
#include "protocol/provision.hpp"
#include "protocol/status.hpp"
#include "protocol/upload.hpp"

namespace vigil {

/// How an upload proceeds.
struct upload_options {
  std::size_t chunk_bytes = 1024 * 1024; ///< at most protocol::max_chunk_bytes
  /// Called after each chunk the platform acknowledged, with the bytes it now
  /// holds. Tests use it to interrupt an upload at a known point.
  std::function<void(uint64_t received)> on_chunk;
  /// The bytes of this delta the platform holds, when the caller has just
  /// asked (`upload_status`): the upload starts there instead of asking again.
  std::optional<uint64_t> received;
  /// Asked before each chunk and before the completion; false stops the
  /// upload there with `ec::cancelled` (a network blackout window started:
  /// SPEC §9b). What the platform holds stays, and the next upload resumes
  /// from it. Empty: never stop.
  std::function<bool()> keep_going;
};

/// The agent's side of protocol v1 (SPEC §9, §16): typed calls to the platform
/// at `WebServiceUri`, over the proxy chain, with the agent's token once it
/// has one. Platform answers of 4xx/5xx become errors named by
/// `protocol::to_error`; transport failures keep their own names. Not
/// thread-safe (one owner: the transport actor).
class platform_client {
public:
  /// A client of the platform at `base` (the WebServiceUri).
  platform_client(https_client client, url base, proxy_settings proxies = {});

  /// The HostID and agent token sent with every authenticated call.
  void set_credentials(std::string host_id, std::string token);
  /// The proxies the next calls use (changes apply to the next request).
  void set_proxies(proxy_settings proxies);
  /// The platform's base URL (the WebServiceUri) the next calls go to.
  void set_base(url base);
  const url& base() const noexcept { return base_; }
  /// Closes the connections idle past their keep-alive (all with `all`);
  /// returns how many are still kept.
  std::size_t close_idle_connections(bool all = false) const { return client_.close_idle(all); }
  /// How long a connection is kept for the next request.
  std::chrono::milliseconds keep_alive() const { return client_.options().keep_alive; }

  /// Sends `request`, whose target is relative to the base ("v1/checkin"),
  /// with the protocol and credential headers, and returns any response.
  caf::expected<http_response> request(http_request request);

  caf::expected<protocol::status_response> status();
  caf::expected<protocol::provision_response> provision(const protocol::provision_request& r);
  caf::expected<protocol::checkin_response> checkin(const protocol::checkin_request& r);
  /// The profile, or nothing when the platform's etag equals `etag` (304).
  /// Malformed blackout windows are dropped into `dropped_windows`.
  caf::expected<std::optional<protocol::profile>>
  profile(const std::string& etag, std::vector<caf::error>* dropped_windows = nullptr);
  /// The manifest of `module`, or nothing when `cached_version` is current.
  caf::expected<std::optional<protocol::manifest>> manifest(const std::string& module,
                                                            std::optional<int64_t> cached_version);
  /// How much of `(module, seq)` the platform holds.
  caf::expected<protocol::upload_status> upload_status(const std::string& module, uint64_t seq);

  /// Uploads an encoded delta resumably and exactly once: asks the platform
  /// what it holds, sends the rest in chunks (re-reading the offset after a
  /// conflict), then completes with the SHA-256. A delta the platform applied
  /// before comes back as `duplicate`. A failure midway leaves what was sent
  /// on the platform, so the next call resumes from there.
  caf::expected<protocol::upload_result> upload_delta(const std::string& module, uint64_t seq,
                                                      const std::string& bytes,
                                                      const upload_options& options = {});

  /// The route ("direct" or a proxy URL) that carried the last response.
  const std::string& last_route() const noexcept { return last_route_; }
  /// Routes that failed during the last call.
  const std::vector<route_attempt>& last_failures() const noexcept { return last_failures_; }

private:
  caf::expected<http_response> send(std::string method, std::string target, std::string body,
                                    http_fields fields = {}, std::size_t response_limit = 0);
  caf::error platform_error(const http_response& response) const;

  https_client client_;
  url base_;
  proxy_settings proxies_;
  std::string host_id_;
  std::string token_;
  std::string last_route_;
  std::vector<route_attempt> last_failures_;
};

} // namespace vigil
