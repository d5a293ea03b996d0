#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <string_view>

namespace vigil::platform {

/// The seconds a command-line validity spells (`--valid 30d`, `--valid 24h`):
/// a positive decimal number followed by one unit, `s`, `m`, `h` or `d`
/// (a bare number is seconds), at most 100 years. Anything else is
/// `ec::invalid_argument` naming `text`.
caf::expected<int64_t> parse_duration(std::string_view text);

} // namespace vigil::platform
