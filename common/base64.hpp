#pragma once

#include <optional>
#include <string>
#include <string_view>

// Standard base64 (RFC 4648 §4, with padding) for the text forms of keys and
// signatures, which travel in JSON, files and command lines.

namespace vigil {

/// The padded base64 encoding of `bytes` (empty for empty input).
std::string base64_encode(std::string_view bytes);

/// The bytes `text` encodes, or nothing when `text` is not the canonical padded
/// base64 of some bytes: a length that is not a multiple of 4, a character
/// outside the alphabet (whitespace included), misplaced padding, or unused low
/// bits that are not zero are all refused, so each byte string has exactly one
/// accepted encoding. The empty text decodes to no bytes.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace vigil
