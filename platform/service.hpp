#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/signing.hpp"
#include "net/http_message.hpp"
#include "platform/order_record.hpp"
#include "platform/releases.hpp"
#include "platform/rollout.hpp"
#include "platform/upgrade_tracker.hpp"
#include "protocol/checkin.hpp"
#include "protocol/endpoints.hpp"
#include "protocol/profile.hpp"
#include "storage/kv_store.hpp"
#include "storage/lock_space.hpp"

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
  /// The number of the connection it came on (`http_request::connection`):
  /// requests sharing one took one TLS handshake.
  uint64_t connection = 0;
  /// What the request did beyond its status, for the audit trail: a delta
  /// completion says `applied` or `duplicate` (SPEC §9's exactly-once, checked
  /// by the crash tests), a stored chunk `stored=FROM-TO` (the delta's bytes
  /// [FROM, TO)), a release package `range=FIRST-LAST` (the bytes sent,
  /// inclusive, so a resumed download shows where it resumed), `range=whole`
  /// or `range=unsatisfiable`; empty otherwise.
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
  /// The platform's data directory: release packages live in
  /// `DIR/releases/<version>/`. Empty: releases cannot be added (tests of
  /// other concerns).
  std::filesystem::path data_dir;
  /// When a release's rollout halts itself (SPEC §12); `vigil-platform serve
  /// --rollout-halt-rollbacks N --rollout-halt-percent P`.
  halt_rule rollout_halt;
  /// Receives the platform's notable events for its log, one line each (a
  /// rollout halting itself). Null: not reported.
  std::function<void(const std::string&)> notice;
  /// Receives one line per order event, after it is stored: queued, each
  /// delivery, each acknowledgement (`order_log_line`, platform/order_record.hpp);
  /// `vigil-platform` appends them to DIR/orders.log. Null: not logged.
  std::function<void(const std::string&)> order_log;
  /// Instances sharing one store (`vigil-platform serve --store
  /// postgresql://...`) serialize through these locks, as threads of one
  /// instance do through its mutexes, and watch the store's generation so
  /// what one instance changes (a profile, an order, a release, a removed
  /// host) reaches the others' caches. Null: this process owns its store.
  std::shared_ptr<lock_space> instance_locks;
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

  /// Writes the default manifests that are missing (first start), one per
  /// module and OS family (os_family.hpp).
  caf::expected<void> initialize();

  /// Answers one request. Bad input gets a 4xx with an `error_response` body;
  /// a store failure gets 500 (the agent retries later). Never throws.
  http_response handle(const http_request& request);

  /// Creates a customer licensed for `modules` and its first activation key;
  /// returns (CustomerId, ActivationId).
  caf::expected<std::pair<std::string, std::string>>
  create_customer(const std::vector<std::string>& modules);

  /// The CustomerId that `activation_id` belongs to (`vigil-platform
  /// package`); an unknown key is `ec::not_found`.
  caf::expected<std::string> customer_of(const std::string& activation_id);

  /// Applies `KEY=VALUE` assignments to the profile of `activation_id` and
  /// returns the new profile JSON. Keys (case-insensitive): CapiIntervalSeconds,
  /// LogLevel, TargetVersion (X.Y.Z; empty: none), RolloutPercent (0-100: the share of the hosts,
  /// by `in_rollout`, offered TargetVersion), SelfProtection, Modules (comma list of activated
  /// modules), ScanIntervalSeconds[.Module], CpuLimit[.Module], BlackoutWindows
  /// (a JSON array of windows). Invalid values are `ec::invalid_argument`
  /// naming the key; nothing changes then.
  caf::expected<nlohmann::json> set_profile(const std::string& activation_id,
                                            const std::vector<std::string>& assignments);

  /// Every host: identity, fingerprint, times, per module the last applied seq
  /// and row count, outstanding duplicates (clones ordered to re-provision
  /// that have not done so yet), the agent version it reports, its latest
  /// `upgrade` report {state ("none" when it never sent one), target, reason,
  /// at}, `rollout`: whether its target release is offered to it, or why
  /// not (`to_string(offer_decision)`: "halted" when that rollout halted), and
  /// `orders`: every order queued for it, in delivery order, as
  /// {id, type, state (pending, delivered, done, failed, refused), reason, at,
  /// added_at, deliveries}. A host that acknowledged an uninstall order is gone.
  caf::expected<nlohmann::json> assets();

  /// Adds the vigil-setup file `file` (a path the platform can read) as a
  /// release (SPEC §12): reads the version its payload names, stores the
  /// package under `DIR/releases/<version>/` and its metadata signed with
  /// the root key, valid for `valid_s` seconds from now, with the next
  /// serial. Adding a version again signs it again with a new serial, which
  /// starts its rollout afresh (not halted, no reports counted yet). Returns
  /// the metadata as JSON. Refused (`ec::invalid_argument`) for a file that is
  /// not a vigil-setup with a VERSION, and when the service has no signer or
  /// data directory.
  caf::expected<nlohmann::json> add_release(const std::string& file, int64_t valid_s,
                                            const patch_options& patches = {});

  /// Every release, by version: its metadata (version, serial, sha256, size,
  /// issued_at, expires_at), the tally of its current rollout (tried,
  /// succeeded, rolled_back) and whether it halted (`halted`, and then
  /// `halted_at`).
  caf::expected<nlohmann::json> list_releases();

  /// Replaces the manifest of `module` that hosts of `os_family` (os_family.hpp)
  /// get: `manifest` is a manifest's JSON or just `{"collectors": [...]}`; its
  /// module and version are the platform's to set: `module`, and one more
  /// than the stored version, so every agent fetches it and sends a full
  /// snapshot. Returns the stored manifest. Refused (`ec::invalid_argument`):
  /// an unknown module or family, collectors the protocol rejects, a module
  /// member naming another module.
  caf::expected<nlohmann::json> set_manifest(const std::string& module,
                                             const std::string& os_family,
                                             const nlohmann::json& manifest);

  /// The platform's view of one host's module: every row, ordered by key.
  caf::expected<nlohmann::json> rows(const std::string& host_id, const std::string& module);

  /// Writes the check-ins received since the last call to the store in one
  /// batch. Check-ins only refresh times and states, so the server calls this
  /// about once a second instead of writing on every check-in (a crash loses
  /// at most that second of check-in times, never data). Also at shutdown.
  caf::expected<void> flush_checkins();

  /// Queues `order` (JSON of protocol `order`; an "id" is generated, a GUID,
  /// when it has none) for the known host `host_id` (GUID case ignored), signed
  /// now with the root key for that host (`protocol::sign_order`). It is then
  /// carried, in `checkin_response::signed_orders`, by every check-in of the
  /// host until the agent acknowledges it. Returns the order's id. Refused:
  /// an order the protocol rejects or an id the host already has
  /// (`ec::invalid_argument`), an unknown host (`ec::not_found`), no signing
  /// key (`ec::invalid_argument`).
  caf::expected<std::string> add_order(const std::string& host_id, const nlohmann::json& order);

  /// An uninstall key (SPFKEY, SPEC §13, `make_spfkey`) for the known host
  /// `host_id`, valid for `valid_s` seconds from now, with a fresh random
  /// nonce: {"spfkey", "host_id", "expires_at"}. The key is a secret: it is
  /// returned, never logged. Refused like `add_order` for an unknown host or
  /// without a signing key, and for `valid_s` < 1 (`ec::invalid_argument`).
  caf::expected<nlohmann::json> issue_spfkey(const std::string& host_id, int64_t valid_s);

  /// The implementation's per-request context (defined in the .cpp files).
  struct request_context;

private:
  /// What authenticates a host: its token's digest and its activation key;
  /// and, kept beside them for the manifest requests, its OS family.
  struct host_auth {
    std::string token_sha256;
    std::string activation_id;
    std::string os_family; ///< `os_family_of` its inventory's os_name
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
  /// `GET v1/releases/{version}/patch/{from}`: the patch file, whole (it is
  /// small; a failed fetch falls back to the resumable package).
  http_response release_patch(request_context& ctx, const std::string& version,
                              const std::string& from);
  http_response release_package(const http_request& request, request_context& ctx,
                                const std::string& version);
  /// Records `report` as `host_id`'s latest and halts its release's rollout
  /// when the halt rule says so. Returns whether the host's upgrade state
  /// changed, and in `halted` the release record to persist when it halted
  /// just now. Takes `rollout_mutex_`.
  bool record_upgrade(const std::string& host_id, const protocol::upgrade_report& report,
                      std::optional<release_record>& halted);
  /// The decision for one host and, for `offer`, the offer. Takes
  /// `rollout_mutex_`.
  offer_decision decide_upgrade(const std::string& host_id, const std::string& agent_version,
                                const protocol::profile& profile,
                                std::optional<protocol::upgrade_offer>* offer);
  /// Loads releases and every host's upgrade state (start).
  caf::expected<void> load_rollouts();
  /// What one check-in does with its host's orders.
  struct order_round {
    std::vector<std::string> envelopes; ///< signed orders to deliver, in order
    std::vector<std::string> log_lines; ///< for `order_log`, once the batch is written
    bool outstanding = false;           ///< an order still waits for its acknowledgement
    bool remove_host = false;           ///< an uninstall order was acknowledged done
  };
  /// Applies `acks` to `host_id`'s orders (unknown or final ids ignored),
  /// collects every order not acknowledged for delivery and records the
  /// delivery, all as writes into `batch`; with `remove_host`, `batch` also
  /// erases the host and everything stored for it. Caller holds the host's stripe.
  caf::expected<order_round> orders_at_checkin(const std::string& host_id,
                                               const std::vector<protocol::order_ack>& acks,
                                               write_batch& batch);
  /// Adds to `batch` the erasure of `host_id`: its record, check-in, module
  /// data (sequences, uploads, chunks, rows), duplicates and orders.
  caf::expected<void> erase_host(const std::string& host_id, write_batch& batch);
  /// Drops `host_id` from every cache, once `erase_host`'s batch is written.
  void forget_host(const std::string& host_id);
  /// The host's HostID as stored (`host_id` compared ignoring GUID case), or
  /// `ec::not_found`. Caller holds `global_`.
  caf::expected<std::string> stored_host_id(const std::string& host_id);
  /// The host's orders, by enqueue order, with their store keys.
  caf::expected<std::vector<std::pair<std::string, order_record>>>
  orders_of(const std::string& host_id);

  /// What a request or an administration command holds: this process's
  /// locks and, with `instance_locks`, the same ones across instances
  /// (declared last: released first).
  struct instance_guard {
    std::shared_lock<std::shared_mutex> shared;
    std::unique_lock<std::shared_mutex> exclusive;
    std::unique_lock<std::mutex> stripe;
    std::vector<std::unique_ptr<held_lock>> across;
  };
  /// Everything, alone: provisioning and administration; with
  /// `instance_locks`, the caches refreshed first unless `refresh` is false.
  caf::expected<instance_guard> lock_everything(bool refresh = true);
  /// One host's requests: shared with other hosts', exclusive for the host.
  caf::expected<instance_guard> lock_host(const std::string& host_id);
  /// Tells the other instances that cached state changed (a new
  /// `setting::generation`). Caller holds `lock_everything` or the host's lock.
  caf::expected<void> bump_generation();
  /// With `instance_locks`: when another instance bumped the generation
  /// since the last look, drops the caches and reloads what is kept whole
  /// (hosts with orders, releases). Caller holds `lock_everything`.
  caf::expected<void> refresh_caches();
  /// The hosts with an order not yet acknowledged, as stored.
  caf::expected<std::unordered_set<std::string>> hosts_with_open_orders();
  /// Whether the generation moved since `seen_generation_`.
  caf::expected<bool> generation_moved();

  kv_store& store_;
  service_options options_;
  /// The last `setting::generation` this instance acted on.
  std::string seen_generation_;
  std::mutex generation_mutex_;
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
  /// Hosts with an order not yet acknowledged (only their check-ins look at
  /// the orders column).
  std::unordered_set<std::string> hosts_with_orders_;
  /// Check-in records not yet in the store (host -> JSON), see flush_checkins.
  std::unordered_map<std::string, std::string> unsaved_checkins_;
  /// Every host's latest check-in record seen by this process.
  std::unordered_map<std::string, std::string> latest_checkins_;
  /// Guards `releases_` and `upgrades_`.
  std::mutex rollout_mutex_;
  /// Every release by version, as stored.
  std::map<std::string, release_record> releases_;
  /// Every host's upgrade reports and every release's tally.
  upgrade_tracker upgrades_;
};

} // namespace vigil::platform
