#pragma once

#include <caf/expected.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "host/reg_value.hpp"

namespace vigil {

/// The key under which Vigil keeps all of its settings (SPEC §2).
inline constexpr std::string_view agent_key = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent";

/// Whether a normalized path is a root key alone ("HKEY_LOCAL_MACHINE").
bool is_root_key(std::string_view normalized_path) noexcept;

/// Normalizes a key path as reg.exe accepts it: `HKLM\x` becomes
/// `HKEY_LOCAL_MACHINE\x` (likewise HKCU, HKCR, HKU, HKCC); surrounding blanks
/// and one trailing backslash after a subkey go. An unknown root, an empty
/// segment, two trailing backslashes, a root followed by a backslash (`HKLM\`)
/// or a control character other than tab (a line break could not be written
/// to the file) is an `ec::invalid_argument` error naming the path.
caf::expected<std::string> normalize_key_path(std::string_view path);

/// One key: its path as first written (case preserved) and its values in the
/// order they were first set.
struct reg_key {
  std::string path;
  std::vector<reg_value> values;

  /// The value named `name` (case-insensitive), or null.
  const reg_value* find(std::string_view name) const noexcept;

  friend bool operator==(const reg_key&, const reg_key&) = default;
};

/// The registry in memory: keys compare case-insensitively and keep the case
/// they were created with; iteration is in tree order (a key, then its
/// subkeys). Paths given to members must already be normalized.
class hive {
public:
  /// The key at `path`, or null.
  const reg_key* find_key(std::string_view path) const;

  /// The key at `path`, created with all missing parents when absent.
  reg_key& ensure_key(std::string_view path);

  /// Removes the key at `path` and every subkey; returns whether it existed.
  bool remove_key(std::string_view path);

  /// The value `name` of key `path`, or null.
  const reg_value* get(std::string_view path, std::string_view name) const;

  /// Sets a value, creating the key. An existing value of the same name
  /// (any case) is replaced in place and keeps its original spelling.
  void set(std::string_view path, reg_value value);

  /// Removes a value; returns whether it existed.
  bool erase_value(std::string_view path, std::string_view name);

  /// The key at `path` and all its subkeys, in tree order.
  std::vector<const reg_key*> subtree(std::string_view path) const;

  /// The paths of the immediate subkeys of `path`, in order.
  std::vector<std::string> child_keys(std::string_view path) const;

  /// Every key in tree order.
  std::vector<const reg_key*> keys() const;

  bool empty() const noexcept { return keys_.empty(); }

  friend bool operator==(const hive&, const hive&) = default;

private:
  /// Folded path with '\' mapped below every printable character, so map
  /// order is tree order.
  static std::string sort_key(std::string_view path);

  std::map<std::string, reg_key> keys_;
};

} // namespace vigil
