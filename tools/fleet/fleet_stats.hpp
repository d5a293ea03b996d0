#pragma once

// What the fleet measures: per operation kind, latencies, counts and errors
// by kind. Pure: each worker records into its own `fleet_stats` (no lock on
// the hot path) and the run merges them once at the end.

#include <array>
#include <caf/error.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::fleet {

/// The operations a simulated agent performs, one per protocol call.
enum class op : std::size_t {
  provision,     ///< POST v1/provision
  checkin,       ///< POST v1/checkin
  profile,       ///< GET v1/profile (If-None-Match)
  manifest,      ///< GET v1/manifests/M (If-None-Match)
  upload_status, ///< GET v1/deltas/M/seq: what the platform holds
  upload,        ///< the chunks (PUT) and the completion (POST) of one delta
  count_         ///< not an operation: how many there are
};

/// The operation's name in the report ("upload status").
std::string_view to_string(op o) noexcept;

/// The nearest-rank `p`-th percentile (0-100) of `sorted` (ascending); 0 when
/// empty.
uint64_t percentile(const std::vector<uint32_t>& sorted, double p) noexcept;

/// An error's kind for the report: its code, and for a platform's answer the
/// HTTP status and the platform's code ("busy (platform 503 internal)").
std::string error_kind(const caf::error& e);

/// One operation kind's record.
struct op_record {
  std::vector<uint32_t> micros;                 ///< the latency of each success
  std::map<std::string, uint64_t> errors;        ///< failures by `error_kind`
  std::optional<std::chrono::steady_clock::time_point> first; ///< the first start
  std::optional<std::chrono::steady_clock::time_point> last;  ///< the last end
  uint64_t not_modified = 0;                     ///< 304 answers (profile, manifest)

  /// All failures, whatever their kind.
  uint64_t error_count() const noexcept;
};

/// Everything one worker (or, merged, the whole fleet) measured.
class fleet_stats {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// One operation of kind `o` that ran from `start` to `end`; `error` when
  /// it failed (failures count, their latency does not).
  void record(op o, time_point start, time_point end, const caf::error& error = {});
  /// A 304 answer of a conditional fetch (counted besides `record`).
  void not_modified(op o) { ops_[static_cast<std::size_t>(o)].not_modified++; }
  /// A delta the platform applied: its rows (upserts and removals) and bytes.
  void delta_applied(bool full, uint64_t rows, uint64_t bytes);
  /// How late a turn started after it was due.
  void lag(std::chrono::microseconds late);
  /// An order carried through (acknowledged).
  void order_seen() { ++orders_; }

  /// Adds `other`'s records to these.
  void merge(fleet_stats&& other);

  /// The record of `o`.
  const op_record& of(op o) const { return ops_[static_cast<std::size_t>(o)]; }
  /// Deltas applied, full snapshots included.
  uint64_t deltas() const noexcept { return deltas_; }
  /// Full snapshots applied.
  uint64_t full_snapshots() const noexcept { return full_; }
  /// Rows (upserts and removals) of the deltas applied.
  uint64_t delta_rows() const noexcept { return rows_; }
  /// Encoded bytes of the deltas applied.
  uint64_t delta_bytes() const noexcept { return bytes_; }
  /// Orders carried through.
  uint64_t orders() const noexcept { return orders_; }

  /// The report table: per operation kind its count, operations per second
  /// (over the span from its first start to its last end), p50, p99 and max
  /// latency in ms, errors; then the delta throughput over `run` and errors
  /// by kind. Sorts the recorded latencies.
  std::string report(std::chrono::duration<double> run);

private:
  std::array<op_record, static_cast<std::size_t>(op::count_)> ops_;
  std::vector<uint32_t> lag_micros_;
  uint64_t deltas_ = 0;
  uint64_t full_ = 0;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
  uint64_t orders_ = 0;
};

} // namespace vigil::fleet
