#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <functional>
#include <array>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/signing.hpp"
#include "net/http_message.hpp"
#include "protocol/endpoints.hpp"
#include "protocol/profile.hpp"
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
  /// What the request did beyond its status, for the audit trail: a delta
  /// completion says `applied` or `duplicate` (SPEC §9's exactly-once, checked
  /// by the crash tests), a stored chunk `stored=FROM-TO` (the delta's bytes
  /// [FROM, TO)); empty otherwise.
  std::string outcome;
};

/// Tunables of the service.
struct service_options {
  std::string base_path = "/CloudAgent/"; ///< the path part of agents' WebServiceUri
  std::string version = "0.1.0";          ///< reported by `status`
  /// The platform's root key (DESIGN "One trust root"): manifests are served
  /// signed by it, as agents accept nothing else. Null: served unsigned
  /// (tests of other concerns only; agents refuse those).
  std::shared_ptr<const signing_key> signer;
};

/// The reference platform's logic (SPEC §16), independent of the network:
/// `handle` answers one HTTP request of protocol v1, the admin members serve
/// `vigil-platform` commands. Thread-safe: requests of one host are serialized
/// (hosts hash onto lock stripes), provisioning and administration exclude
/// everything else, so each `(HostID, module, seq)` is applied exactly once
/// even when an agent
/// retries concurrently. All state lives in the store given at construction;
/// what the hot path reads (token digests, profiles, which hosts have orders)
/// is cached in memory and updated by the writes that change it.
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

  /// Writes the check-ins received since the last call to the store in one
  /// batch. Check-ins only refresh times and states, so the server calls this
  /// about once a second instead of writing on every check-in (a crash loses
  /// at most that second of check-in times, never data). Also at shutdown.
  caf::expected<void> flush_checkins();

  /// Queues an order (JSON of protocol `order`) for a host's next check-in.
  caf::expected<void> add_order(const std::string& host_id, const nlohmann::json& order);

  /// The implementation's per-request context (defined in the .cpp files).
  struct request_context;

private:
  /// What authenticates a host: its token's digest and its activation key.
  struct host_auth {
    std::string token_sha256;
    std::string activation_id;
  };

  http_response dispatch(const http_request& request, const protocol::route& route,
                         request_context& ctx);
  caf::expected<std::shared_ptr<const protocol::profile>> profile_of(const std::string& activation);
  caf::expected<std::optional<host_auth>> auth_of(const std::string& host_id);
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
  /// Taken shared by per-host requests, exclusively by provisioning and
  /// administration.
  std::shared_mutex global_;
  /// Per-host serialization: a host's requests take `stripes_[hash % size]`.
  std::array<std::mutex, 64> stripes_;
  /// Guards the caches below (readers run concurrently under `global_`).
  std::mutex cache_mutex_;
  std::unordered_map<std::string, host_auth> auth_cache_;
  std::unordered_map<std::string, std::shared_ptr<const protocol::profile>> profile_cache_;
  std::unordered_set<std::string> hosts_with_orders_;
  /// Check-in records not yet in the store (host -> JSON), see flush_checkins.
  std::unordered_map<std::string, std::string> unsaved_checkins_;
  /// Every host's latest check-in record seen by this process.
  std::unordered_map<std::string, std::string> latest_checkins_;
};

} // namespace vigil::platform
