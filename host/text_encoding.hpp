#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/text.hpp" // fold_case: in common/, as vigil-pac and scan/ use it too

namespace vigil {

/// Decodes UTF-16 bytes (little-endian unless `big_endian`) into UTF-8.
/// Returns nothing for an odd byte count or an unpaired surrogate.
std::optional<std::string> utf16_to_utf8(std::string_view bytes, bool big_endian = false);

/// Encodes UTF-8 text as UTF-16LE bytes (no BOM). Returns nothing when `text` is
/// not valid UTF-8.
std::optional<std::string> utf8_to_utf16le(std::string_view text);

/// Case-insensitive (ASCII) equality.
bool iequals(std::string_view a, std::string_view b) noexcept;

} // namespace vigil
