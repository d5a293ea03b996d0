#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "net/https_client.hpp"
#include "net/proxy_chain.hpp"
#include "tools/healthcheck/health_facts.hpp"

namespace vigil::health {

/// What the network probes of checks 6 and 9 need.
struct probe_config {
  std::optional<url> platform;       ///< the WebServiceUri; none: no /status probe
  proxy_settings proxies;            ///< the agent's proxies, in order
  client_options client;             ///< trust and per-operation timeouts
  std::size_t max_patch_bytes = 512u * 1024 * 1024; ///< a larger patch is `too_large`
};

/// The network probes, started at once in the background so that the slow
/// ones overlap: `/status` directly and through each proxy (check 6) and the
/// patch download over the agent's route order (check 9). Every request is
/// bounded by the client's timeouts and every answer by `deadline`: a probe
/// still running then is reported as `timeout` and abandoned, so the tool
/// never hangs, whatever the network does.
class probe_runner {
public:
  /// Starts the probes; `patch` names the URL and the expected hash.
  probe_runner(probe_config config, const patch_fact& patch,
               std::chrono::steady_clock::time_point deadline);
  ~probe_runner();
  probe_runner(const probe_runner&) = delete;
  probe_runner& operator=(const probe_runner&) = delete;

  /// Check 6's results, waiting for them until the deadline.
  std::vector<probe_fact> connectivity();
  /// Check 9's result (attempts and hash), waiting until the deadline.
  patch_fact patch();
  /// Whether a probe was abandoned (still running at the deadline): the
  /// process must then end without running static destructors.
  bool abandoned() const;

  struct shared; ///< the state probes and the waiting thread share

private:
  std::shared_ptr<shared> shared_;
  std::chrono::steady_clock::time_point deadline_;
};

} // namespace vigil::health
