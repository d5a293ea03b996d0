#pragma once
// What storage_crash_writer writes, shared with the test that checks it: batch n
// puts `pending_key(n, 0..9)` and `batch_key(n)` (value: the run's tag), sets
// `next_key` to n + 1, puts `scratch_key(n)` and erases `scratch_key(n - 1)`.

#include <cstdint>
#include <cstdio>
#include <string>

#include "storage/write_batch.hpp"

namespace vigil::test::crash_layout {

/// Keys written per batch into "pending".
constexpr int items_per_batch = 10;

/// Zero-padded so that key order is batch order.
inline std::string number(uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%012llu", static_cast<unsigned long long>(n));
  return buf;
}

/// "pending": item `i` of batch `n`.
inline std::string pending_key(uint64_t n, int i) {
  return number(n) + "/" + std::to_string(i);
}

/// "meta": the marker of batch `n`.
inline std::string batch_key(uint64_t n) {
  return "batch/" + number(n);
}

/// "meta": the number of the next batch to write.
inline const char* next_key = "next";

/// "cursor": the one scratch key, that of the last batch written.
inline std::string scratch_key(uint64_t n) {
  return "scratch/" + number(n);
}

/// Batch `n`, tagged with the writer run `tag`.
inline write_batch make_batch(uint64_t n, const std::string& tag) {
  write_batch b;
  for (int i = 0; i < items_per_batch; ++i)
    b.put("pending", pending_key(n, i), tag);
  b.put("meta", batch_key(n), tag);
  b.put("meta", next_key, std::to_string(n + 1));
  b.put("cursor", scratch_key(n), tag);
  if (n > 0)
    b.erase("cursor", scratch_key(n - 1));
  return b;
}

} // namespace vigil::test::crash_layout
