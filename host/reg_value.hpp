#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vigil {

/// The registry value types the hive keeps (SPEC §2).
enum class reg_type { sz, expand_sz, multi_sz, dword, qword, binary };

/// The reg.exe name of a type: "REG_SZ", "REG_DWORD", ...
std::string_view to_string(reg_type type) noexcept;

/// Parses a reg.exe type name, case-insensitively ("reg_dword" works).
std::optional<reg_type> parse_reg_type(std::string_view name) noexcept;

/// One named value of a key. The empty name is the key's default value (`@`).
/// `data` holds a std::string for REG_SZ and REG_EXPAND_SZ, uint32_t for
/// REG_DWORD, uint64_t for REG_QWORD, a list of strings for REG_MULTI_SZ and
/// bytes for REG_BINARY; the factories below keep type and data in agreement.
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

  /// The text of a REG_SZ / REG_EXPAND_SZ value, else nothing.
  std::optional<std::string> as_string() const;
  /// The number of a REG_DWORD / REG_QWORD value, else nothing.
  std::optional<uint64_t> as_number() const;

  /// Renders the data the way `reg query` shows it: `0x10` for numbers,
  /// uppercase hex for binary, `a\0b` for multi-strings.
  std::string display() const;

  friend bool operator==(const reg_value&, const reg_value&) = default;
};

} // namespace vigil
