#pragma once

// vigil-fleet's command line (issue 18, item 1): pure parsing, no I/O.

#include <caf/expected.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vigil::fleet {

/// Everything `vigil-fleet` is told on its command line, checked.
struct fleet_options {
  std::string url;                  ///< the platform's WebServiceUri (`--url`)
  std::filesystem::path ca;         ///< the CA bundle agents trust (`--ca`)
  std::string customer_id;          ///< `--customer {G}`
  std::string activation_id;        ///< `--activation {G}`
  std::size_t agents = 10'000;      ///< `--agents N`: simulated hosts
  double seconds = 60;              ///< `--seconds S`: how long agents check in
  unsigned workers = 16;            ///< `--workers W`: threads running agents' turns
  double interval_s = 10;           ///< `--interval S`: the compressed check-in interval
  double jitter = 0.2;              ///< `--jitter F`: each interval varies by +-F of itself
  double ramp_s = -1;               ///< `--ramp S`: first turns spread over S (<0: one interval)
  double change_share = 0.1;        ///< `--change-share F`: hosts whose rows change per cycle
  std::size_t rows = 200;           ///< `--rows N`: rows per host and module
  std::size_t row_changes = 5;      ///< `--row-changes N`: rows changed when a host changes
  std::size_t chunk_bytes = 16'384; ///< `--chunk-bytes N`: upload chunk size
  double drain_s = 30;              ///< `--drain S`: at most this long to finish pending uploads
  uint64_t seed = 1;                ///< `--seed N`: HostIDs, rows and schedules derive from it
  /// `--data-dir DIR`: the platform's data directory, read to verify; by
  /// default the directory of `--ca` (`serve` writes its CA as DIR/ca.pem).
  std::optional<std::filesystem::path> data_dir;
  /// `--trust-key FILE`: the platform's public root key, which manifests and
  /// orders are checked against; by default `DATA_DIR/signing-key.pub`.
  std::optional<std::filesystem::path> trust_key;
  /// `--state FILE`: the agents' final state is written there (and read with
  /// `--verify-only`).
  std::optional<std::filesystem::path> state_file;
  bool verify_only = false; ///< `--verify-only`: no traffic, verify `--state` against the platform
  bool help = false;        ///< `--help`
};

/// The text `--help` prints.
std::string fleet_usage();

/// `args` (without the program name) as options. `--name value` and
/// `--name=value` are both accepted. Errors are `ec::invalid_argument` naming
/// the option: unknown options, missing or malformed values (GUIDs must be
/// `{8-4-4-4-12}`, the URL http(s)), numbers out of range, and missing
/// required options (`--url --ca --customer --activation` for a run;
/// `--state` and a data directory for `--verify-only`).
caf::expected<fleet_options> parse_fleet_args(const std::vector<std::string>& args);

} // namespace vigil::fleet
