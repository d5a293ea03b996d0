#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "net/http_message.hpp"
#include "storage/kv_store.hpp"

namespace vigil::platform {

/// One line of the platform's request log: who asked what, and how big it was
/// (tests read the log to see what an agent sent, e.g. a delta's size).
struct request_record {
  std::string method;
  std::string target;
  std::string host_id; ///< from X-Vigil-Host-Id, or empty
  unsigned status = 0;
  size_t request_bytes = 0;
  size_t response_bytes = 0;
};

/// Tunables of the service.
struct service_options {
  std::string base_path = "/CloudAgent/"; ///< the path part of agents' WebServiceUri
  std::string version = "0.1.0";          ///< reported by `status`
};

/// The reference platform's logic (SPEC §16), independent of the network:
/// `handle` answers one HTTP request of protocol v1, the admin members serve
/// `vigil-platform` commands. Thread-safe: every request runs under one lock,
/// so each `(HostID, module, seq)` is applied exactly once even when an agent
/// retries concurrently. All state lives in the store given at construction.
class platform_service {
public:
  /// Unix seconds now; injected so tests control time.
  using clock = std::function<int64_t()>;
  /// Receives every answered request.
  using request_logger = std::function<void(const request_record&)>;

  platform_service(kv_store& store, service_options options, clock now,
                   request_logger log = {});

  /// Writes the default manifests that are missing (first start).
  caf::expected<void> initialize();

  /// Answers one request. Bad input gets a 4xx with an `error_response` body;
  /// a store failure gets 500 (the agent retries later). Never throws.
  http_response handle(const http_request& request);

  /// Creates a customer licensed for `modules` and its first activation key;
  /// returns (CustomerId, ActivationId).
  caf::expected<std::pair<std::string, std::string>>
  create_customer(const std::vector<std::string>& modules);

  /// Applies `KEY=VALUE` assignments to the profile of `activation_id` and
  /// returns the new profile JSON. Keys (case-insensitive): CapiIntervalSeconds,
  /// LogLevel, TargetVersion, SelfProtection, Modules (comma list of activated
  /// modules), ScanIntervalSeconds[.Module], CpuLimit[.Module], BlackoutWindows
  /// (a JSON array of windows). Invalid values are `ec::invalid_argument`
  /// naming the key; nothing changes then.
  caf::expected<nlohmann::json> set_profile(const std::string& activation_id,
                                            const std::vector<std::string>& assignments);

  /// Every host: identity, fingerprint, times, per module the last applied seq
  /// and row count, and outstanding duplicates (clones ordered to re-provision
  /// that have not done so yet).
  caf::expected<nlohmann::json> assets();

  /// The platform's view of one host's module: every row, ordered by key.
  caf::expected<nlohmann::json> rows(const std::string& host_id, const std::string& module);

  /// Queues an order (JSON of protocol `order`) for a host's next check-in.
  caf::expected<void> add_order(const std::string& host_id, const nlohmann::json& order);

  /// The implementation's per-request context (defined in the .cpp files).
  struct request_context;

private:
  http_response dispatch(const http_request& request, request_context& ctx);
  http_response provision(const http_request& request, request_context& ctx);
  http_response checkin(const http_request& request, request_context& ctx);
  http_response profile(const http_request& request, request_context& ctx);
  http_response manifest(const http_request& request, request_context& ctx,
                         const std::string& module);
  http_response delta_status(request_context& ctx, const std::string& module, uint64_t seq);
  http_response delta_chunk(const http_request& request, request_context& ctx,
                            const std::string& module, uint64_t seq);
  http_response delta_complete(const http_request& request, request_context& ctx,
                               const std::string& module, uint64_t seq);

  kv_store& store_;
  service_options options_;
  clock now_;
  request_logger log_;
  std::mutex mutex_;
};

} // namespace vigil::platform
