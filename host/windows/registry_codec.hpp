#pragma once

#include <caf/expected.hpp>
#include <string>
#include <string_view>

#include "host/reg_value.hpp"

// A reg_value as the registry's API stores it (RegSetValueExW's type and
// bytes) and back. Internal to host/windows; pure logic.

namespace vigil::win {

/// The bytes RegSetValueExW takes for `value`: UTF-16LE with a terminating
/// NUL for REG_SZ / REG_EXPAND_SZ, each string NUL-terminated and one more NUL
/// for REG_MULTI_SZ, little-endian numbers, raw bytes for the rest.
std::string encode_value(const reg_value& value);

/// The value named `name` of `type` from the bytes RegEnumValueW returned.
/// Strings lose their terminating NULs (a missing one is accepted, as
/// Windows' own readers do). A REG_DWORD not 4 bytes long or a REG_QWORD not
/// 8 is `ec::corruption` naming `where`.
caf::expected<reg_value> decode_value(std::string name, uint32_t type, std::string_view bytes,
                                      std::string_view where);

} // namespace vigil::win
