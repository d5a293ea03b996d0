#pragma once

// HTTP byte ranges (RFC 9110 §14) for resumable package downloads (SPEC §12):
// pure parsing, no I/O.

#include <cstdint>
#include <string_view>

namespace vigil::platform {

/// What a `Range` header asks of a representation of `total` bytes.
struct byte_range {
  enum class kind {
    whole,         ///< no Range, or one the server ignores (another unit, bad syntax, several ranges): 200
    partial,       ///< one satisfiable range [first, last]: 206
    unsatisfiable, ///< a well-formed range that starts at or past the end: 416
  };
  kind what = kind::whole;
  uint64_t first = 0; ///< the first byte sent (partial only)
  uint64_t last = 0;  ///< the last byte sent, inclusive (partial only)
};

/// The range that `header` (a `Range` value, empty when absent) selects from
/// `total` bytes. Understood: `bytes=N-` (from N to the end), `bytes=N-M` (M
/// cut to the last byte) and `bytes=-S` (the last S bytes). A syntactically
/// invalid header, another unit and a list of several ranges are ignored, as
/// RFC 9110 allows: the whole representation is sent.
byte_range parse_byte_range(std::string_view header, uint64_t total);

} // namespace vigil::platform
