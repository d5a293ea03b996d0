#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/proxy_routes.hpp"
#include "host/paths.hpp"
#include "host/proxy_config.hpp"

// What the proxy resolver actor does, without the actor (SPEC §10): read the
// sources, fetch and evaluate PAC files, merge. It blocks (file reads, PAC
// downloads, the PAC child process), which is why the actor that owns it runs
// detached. Not thread-safe: one owner.

namespace vigil {

/// Downloads a PAC file: the body of a 2xx answer, or the named error.
using pac_fetcher = std::function<caf::expected<std::string>(const std::string& url)>;

/// Evaluates PAC `script` (downloaded from `source`) for a request to `url`
/// whose host is `host`: the routes FindProxyForURL chose, or why not.
using pac_evaluation = std::function<caf::expected<std::vector<candidate_route>>(
  const std::string& script, const std::string& source, const std::string& url,
  const std::string& host)>;

/// What a proxy_resolution works with.
struct proxy_resolution_options {
  paths root{"/"};                               ///< the hive, etc/environment, etc/resolv.conf
  std::vector<std::string> service_environment; ///< "NAME=value" entries of the agent's environment
  std::string fqdn;                              ///< the host's FQDN, for WPAD
  pac_fetcher fetch;                             ///< PAC and WPAD downloads
  pac_evaluation evaluate;                       ///< PAC evaluation (out of process)
  std::chrono::seconds pac_ttl{300};             ///< how long a PAC answer is reused
  std::chrono::seconds failure_ttl{60};          ///< how long a PAC failure is remembered
};

/// Resolves the routes of requests from the current proxy sources.
class proxy_resolution {
public:
  /// A resolution over `options`; nothing is read until `resolve`.
  explicit proxy_resolution(proxy_resolution_options options);

  /// The routes for a request to `target` (an http(s) URL), from the sources
  /// as they are now: the hive and the environment files are read on every
  /// call (so a vigil-proxy change applies to the next request); PAC and WPAD
  /// answers are reused for `pac_ttl` (failures for `failure_ttl`) until
  /// `invalidate`. Logs (Proxy log) each fresh source failure and each change
  /// of the outcome; never a password.
  merged_routes resolve(const std::string& target);

  /// Forgets every PAC and WPAD answer (the settings changed).
  void invalidate();

  /// The settings read by the last `resolve`.
  const proxy_config& config() const noexcept { return config_; }

private:
  struct cached {
    std::chrono::steady_clock::time_point at;
    source_result result;
  };

  proxy_credentials credentials();
  source_result pac_source(const std::string& pac_url, const std::string& target,
                           const std::string& host);
  source_result wpad_source(const std::string& target, const std::string& host);
  source_result system_source(const std::string& scheme, const std::string& host, uint16_t port);
  std::optional<source_result> from_cache(const std::string& key);
  source_result remember(const std::string& key, source_result result);

  proxy_resolution_options options_;
  proxy_config config_;
  bool config_read_ = false;
  std::optional<std::string> opened_for_; ///< the sealed password `password_` came from
  std::string password_;
  std::map<std::string, cached> cache_;
  std::string last_outcome_;
};

} // namespace vigil
