#include "tools/fleet/fleet_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/error.hpp"

namespace vigil::fleet {

std::string_view to_string(op o) noexcept {
  switch (o) {
    case op::provision:
      return "provision";
    case op::checkin:
      return "checkin";
    case op::profile:
      return "profile";
    case op::manifest:
      return "manifest";
    case op::upload_status:
      return "upload status";
    case op::upload:
      return "upload";
    case op::count_:
      break;
  }
  return "?";
}

uint64_t percentile(const std::vector<uint32_t>& sorted, double p) noexcept {
  if (sorted.empty())
    return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

std::string error_kind(const caf::error& e) {
  std::string kind = to_string(code_of(e));
  // The platform's answers read "platform <status> <code>: <message>".
  auto context = context_of(e);
  if (context.starts_with("platform ")) {
    auto colon = context.find(':');
    kind += " (" + context.substr(0, colon) + ")";
  }
  return kind;
}

uint64_t op_record::error_count() const noexcept {
  uint64_t n = 0;
  for (auto& [kind, count] : errors)
    n += count;
  return n;
}

void fleet_stats::record(op o, time_point start, time_point end, const caf::error& error) {
  auto& r = ops_[static_cast<std::size_t>(o)];
  if (!r.first || start < *r.first)
    r.first = start;
  if (!r.last || end > *r.last)
    r.last = end;
  if (error) {
    r.errors[error_kind(error)]++;
    return;
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
  r.micros.push_back(static_cast<uint32_t>(std::clamp<int64_t>(us, 0, UINT32_MAX)));
}

void fleet_stats::delta_applied(bool full, uint64_t rows, uint64_t bytes) {
  ++deltas_;
  full_ += full ? 1 : 0;
  rows_ += rows;
  bytes_ += bytes;
}

void fleet_stats::lag(std::chrono::microseconds late) {
  lag_micros_.push_back(static_cast<uint32_t>(std::clamp<int64_t>(late.count(), 0, UINT32_MAX)));
}

void fleet_stats::merge(fleet_stats&& other) {
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    auto& mine = ops_[i];
    auto& theirs = other.ops_[i];
    mine.micros.insert(mine.micros.end(), theirs.micros.begin(), theirs.micros.end());
    for (auto& [kind, n] : theirs.errors)
      mine.errors[kind] += n;
    if (theirs.first && (!mine.first || *theirs.first < *mine.first))
      mine.first = theirs.first;
    if (theirs.last && (!mine.last || *theirs.last > *mine.last))
      mine.last = theirs.last;
    mine.not_modified += theirs.not_modified;
  }
  lag_micros_.insert(lag_micros_.end(), other.lag_micros_.begin(), other.lag_micros_.end());
  deltas_ += other.deltas_;
  full_ += other.full_;
  rows_ += other.rows_;
  bytes_ += other.bytes_;
  orders_ += other.orders_;
}

std::string fleet_stats::report(std::chrono::duration<double> run) {
  std::string out;
  char line[256];
  auto ms = [](uint64_t us) { return static_cast<double>(us) / 1000.0; };
  std::snprintf(line, sizeof line, "%-14s %9s %9s %9s %9s %9s %8s %8s\n", "operation", "ops",
                "ops/s", "p50 ms", "p99 ms", "max ms", "errors", "304");
  out += line;
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    auto& r = ops_[i];
    std::sort(r.micros.begin(), r.micros.end());
    double span = r.first && r.last ? std::chrono::duration<double>(*r.last - *r.first).count()
                                    : 0.0;
    auto ok = r.micros.size();
    std::snprintf(line, sizeof line, "%-14s %9zu %9.1f %9.2f %9.2f %9.2f %8llu %8llu\n",
                  std::string{to_string(static_cast<op>(i))}.c_str(), ok,
                  span > 0 ? static_cast<double>(ok) / span : 0.0,
                  ms(percentile(r.micros, 50)), ms(percentile(r.micros, 99)),
                  ms(r.micros.empty() ? 0 : r.micros.back()),
                  static_cast<unsigned long long>(r.error_count()),
                  static_cast<unsigned long long>(r.not_modified));
    out += line;
  }
  std::sort(lag_micros_.begin(), lag_micros_.end());
  double seconds = std::max(run.count(), 1e-9);
  std::snprintf(line, sizeof line,
                "deltas applied: %llu (%llu full snapshots), %llu rows (%.1f rows/s), "
                "%.1f MB on the wire\n",
                static_cast<unsigned long long>(deltas_), static_cast<unsigned long long>(full_),
                static_cast<unsigned long long>(rows_), static_cast<double>(rows_) / seconds,
                static_cast<double>(bytes_) / 1e6);
  out += line;
  std::snprintf(line, sizeof line,
                "turns: %zu, started late by p50 %.2f ms, p99 %.2f ms, max %.2f ms; orders: %llu\n",
                lag_micros_.size(), ms(percentile(lag_micros_, 50)),
                ms(percentile(lag_micros_, 99)),
                ms(lag_micros_.empty() ? 0 : lag_micros_.back()),
                static_cast<unsigned long long>(orders_));
  out += line;
  for (std::size_t i = 0; i < ops_.size(); ++i)
    for (auto& [kind, n] : ops_[i].errors)
      out += "error: " + std::string{to_string(static_cast<op>(i))} + ": " + kind + " x"
             + std::to_string(n) + "\n";
  return out;
}

} // namespace vigil::fleet
