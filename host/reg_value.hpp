#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vigil {

/// A registry value type; the enumerators carry Windows' type numbers, and
/// any other 32-bit number is a valid type too (regedit's `hex(N):` keeps it),
/// held as raw bytes. SPEC §2's types are sz, expand_sz, multi_sz, dword,
/// qword and binary.
enum class reg_type : uint32_t {
  none = 0,
  sz = 1,
  expand_sz = 2,
  binary = 3,
  dword = 4,
  dword_big_endian = 5,
  link = 6,
  multi_sz = 7,
  resource_list = 8,
  full_resource_descriptor = 9,
  resource_requirements_list = 10,
  qword = 11,
};

/// The reg.exe name of a type: "REG_SZ", "REG_NONE", ...; a number without a
/// name shows as "REG_0x10".
std::string to_string(reg_type type);

/// Whether a value of `type` holds raw bytes (std::vector<uint8_t>): every type
/// but REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD and REG_QWORD.
bool holds_bytes(reg_type type) noexcept;

/// Parses a reg.exe `/t` type name, case-insensitively ("reg_dword" works):
/// the six types of SPEC §2.
std::optional<reg_type> parse_reg_type(std::string_view name) noexcept;

/// One named value of a key. The empty name is the key's default value (`@`).
/// `data` holds a std::string for REG_SZ and REG_EXPAND_SZ, uint32_t for
/// REG_DWORD, uint64_t for REG_QWORD, a list of strings for REG_MULTI_SZ and
/// bytes for every other type (REG_BINARY, REG_NONE, `hex(N)`); the factories
/// below keep type and data in agreement.
struct reg_value {
  using data_type = std::variant<std::string, uint32_t, uint64_t, std::vector<std::string>,
                                 std::vector<uint8_t>>;

  std::string name;
  reg_type type = reg_type::sz;
  data_type data = std::string{};

  static reg_value sz(std::string name, std::string text);
  static reg_value expand_sz(std::string name, std::string text);
  static reg_value multi_sz(std::string name, std::vector<std::string> items);
  static reg_value dword(std::string name, uint32_t number);
  static reg_value qword(std::string name, uint64_t number);
  static reg_value binary(std::string name, std::vector<uint8_t> bytes);
  /// A value of a type held as bytes (see holds_bytes), e.g. REG_NONE.
  static reg_value raw(std::string name, reg_type type, std::vector<uint8_t> bytes);

  /// The text of a REG_SZ / REG_EXPAND_SZ value, else nothing.
  std::optional<std::string> as_string() const;
  /// The number of a REG_DWORD / REG_QWORD value, else nothing.
  std::optional<uint64_t> as_number() const;

  /// Renders the data the way `reg query` shows it: `0x10` for numbers,
  /// uppercase hex for bytes, `a\0b` for multi-strings.
  std::string display() const;

  friend bool operator==(const reg_value&, const reg_value&) = default;
};

} // namespace vigil
