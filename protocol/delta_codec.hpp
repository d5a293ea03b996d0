#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "protocol/delta.hpp"

namespace vigil::protocol {

/// The bytes of `d` on the wire: its JSON form (`to_json`) compressed as one
/// zstd frame with a checksum. Written as a stream, so encoding holds the
/// compressed output but never a JSON tree or the whole JSON text. Strings that
/// are not valid UTF-8 have each bad byte replaced by U+FFFD. It does not check
/// `d` (module, seq, keys): `decode_delta` refuses what `parse_delta` would.
std::string encode_delta(const delta& d);

/// The delta in `bytes`, decompressing at most `max_decompressed` bytes (a zip
/// bomb is refused once its output passes the cap, without allocating beyond
/// it). Errors: `ec::corruption` for bytes that are not a complete, intact zstd
/// stream; `ec::protocol_error` "delta: too large: ..." over the cap; and
/// `ec::protocol_error` naming the field, as `parse_delta` does, for a document
/// that is not JSON or not a valid delta. The JSON is read as a stream of events
/// straight into the result (no JSON tree), with unknown fields skipped.
caf::expected<delta> decode_delta(std::string_view bytes, size_t max_decompressed);

/// The delta in uncompressed JSON `text` (the second half of `decode_delta`).
caf::expected<delta> parse_delta_text(std::string_view text);

} // namespace vigil::protocol
