#pragma once

#include <caf/expected.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "host/hive.hpp"

namespace vigil {

/// One statement of a `.reg` file, in file order.
struct reg_statement {
  enum class kind {
    add_key,      ///< `[KEY]`: the key exists afterwards
    delete_key,   ///< `[-KEY]`: the key and its subkeys are removed
    set_value,    ///< `"Name"=data` under the current key
    delete_value, ///< `"Name"=-` under the current key
  };
  kind what = kind::add_key;
  std::string key;   ///< normalized key path
  reg_value value;   ///< the value set, or (name only) the value deleted
  size_t line = 0;   ///< 1-based line where the statement starts
};

/// Parses the Windows `.reg` text format as regedit writes it: UTF-16LE with a
/// BOM (regedit's export) or UTF-8 (with or without BOM); CRLF or LF; header
/// `Windows Registry Editor Version 5.00` or `REGEDIT4`; `;` comments;
/// `"Name"="text"`, `@=`, `dword:`, `hex:`, `hex(2):`, `hex(7):`, `hex(b):`,
/// `hex(4):`, `hex(1):` with `\` line continuations; `[-KEY]` and `"Name"=-`
/// deletions. Any malformed line is an `ec::parse_error` whose context is
/// `<source>:<line>: <what is wrong>`.
caf::expected<std::vector<reg_statement>> parse_reg(std::string_view bytes,
                                                   std::string_view source);

/// Applies parsed statements to `target` in order.
void apply_statements(hive& target, const std::vector<reg_statement>& statements);

/// Parses `bytes` as a whole hive (the statements applied to an empty hive).
caf::expected<hive> parse_hive(std::string_view bytes, std::string_view source);

/// Renders keys in regedit's export format (UTF-8, LF line ends): the header,
/// then each key as `[PATH]` followed by its values and a blank line. Long hex
/// data wraps with `\` continuations as regedit does. A REG_SZ holding a line
/// break is written as `hex(1):` (a quoted string cannot carry one).
std::string render_reg(const std::vector<const reg_key*>& keys);

/// Renders the whole hive.
std::string render_hive(const hive& h);

} // namespace vigil
