#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::protocol {

// Every endpoint is relative to the path of the agent's `WebServiceUri` (the
// base, e.g. "/CloudAgent/"). The builders join the base and the endpoint with
// exactly one '/', so a base with or without its trailing slash gives the same
// target, and an empty base means "/". Module names are percent-encoded outside
// the unreserved characters, so any text yields one path segment.

/// `GET status`: liveness and versions, no authentication (`status_response`).
std::string endpoint_status(std::string_view base);

/// `POST v1/provision`: `provision_request` -> `provision_response`.
std::string endpoint_provision(std::string_view base);

/// `POST v1/checkin`: `checkin_request` -> `checkin_response`.
std::string endpoint_checkin(std::string_view base);

/// `GET v1/profile` (with `If-None-Match`): 304, or 200 with a `profile`.
std::string endpoint_profile(std::string_view base);

/// `GET v1/manifests/{module}` -> `manifest`.
std::string endpoint_manifest(std::string_view base, std::string_view module);

/// `GET v1/deltas/{module}/{seq}` -> `upload_status`; `PUT` the same target with
/// the next chunk -> `upload_status`.
std::string endpoint_delta(std::string_view base, std::string_view module, uint64_t seq);

/// `POST v1/deltas/{module}/{seq}/complete`: `upload_complete` -> `upload_result`.
std::string endpoint_delta_complete(std::string_view base, std::string_view module,
                                    uint64_t seq);

/// `GET v1/releases/{version}/package` (with `Range: bytes=N-`): the release's
/// vigil-setup file, 200 whole or 206 from byte N (SPEC §12, resumable).
std::string endpoint_release_package(std::string_view base, std::string_view version);

/// `GET v1/releases/{version}/patch/{from}`: a zstd binary patch that
/// rebuilds the release's expanded package from the expanded package of
/// `from` (SPEC §12); 404 when the platform made none.
std::string endpoint_release_patch(std::string_view base, std::string_view version,
                                   std::string_view from);

/// The endpoints, as the platform routes them.
enum class endpoint {
  status,         ///< `status`
  provision,      ///< `v1/provision`
  checkin,        ///< `v1/checkin`
  profile,        ///< `v1/profile`
  manifest,       ///< `v1/manifests/{module}`
  delta,          ///< `v1/deltas/{module}/{seq}`
  delta_complete, ///< `v1/deltas/{module}/{seq}/complete`
  release_package, ///< `v1/releases/{version}/package`
  release_patch,   ///< `v1/releases/{version}/patch/{from}`
};

/// A request target resolved to its endpoint and path parameters.
struct route {
  /// Which endpoint the target names.
  endpoint kind = endpoint::status;
  /// The module of `manifest`, `delta` and `delta_complete`; empty otherwise.
  std::string module;
  /// The delta sequence number (at least 1) of `delta` and `delta_complete`; 0
  /// otherwise.
  uint64_t seq = 0;
  /// The release version of `release_package` and `release_patch` ("X.Y.Z":
  /// digits and dots); empty otherwise.
  std::string version;
  /// The version a `release_patch` starts from (digits and dots); empty
  /// otherwise.
  std::string from;

  friend bool operator==(const route&, const route&) = default;
};

/// The route of the request target `target` (a path, optionally with a query,
/// which is ignored) under `base`, or nothing when it names no endpoint: outside
/// the base, an unknown path, a module that is not a `module_names` entry, or a
/// seq that is not a decimal number from 1 to 2^64-1.
std::optional<route> match_route(std::string_view base, std::string_view target);

} // namespace vigil::protocol
