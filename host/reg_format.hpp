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
    add_key,       ///< `[KEY]`: the key exists afterwards
    delete_key,    ///< `[-KEY]`: the key and its subkeys are removed
    set_value,     ///< `"Name"=data` under the current key
    delete_value,  ///< `"Name"=-` under the current key
    ignored_value, ///< a value line under `[-KEY]`: regedit ignores it, and so does
                   ///< apply_statements (its syntax is still checked)
  };
  kind what = kind::add_key;
  std::string key;   ///< normalized key path
  reg_value value;   ///< the value set, or (name only) the value deleted
  size_t line = 0;   ///< 1-based line where the statement starts
};

/// Parses the Windows `.reg` text format as regedit writes and reads it:
/// UTF-16LE with a BOM (regedit's export) or UTF-8 (with or without BOM); CRLF
/// or LF; the header `Windows Registry Editor Version 5.00` or `REGEDIT4` on
/// the first line; `;` and `#` comment lines; a `;` comment after a value's
/// data, after `=-` and after a continuation `\`; `"Name"="text"` (escapes
/// `\\` and `\"` only), `@=`, `dword:`, `hex:` and `hex(N):` for any type
/// number N (1, 2, 7, 4 and b become REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ,
/// REG_DWORD and REG_QWORD; other types keep their number and bytes) with `,\`
/// line continuations; `[-KEY]` and `"Name"=-` deletions. Values after a
/// `[-KEY]` are `ignored_value`. An empty file has no statements.
///
/// Where regedit skips a malformed line and goes on, this refuses the whole
/// input: any malformed line is an `ec::parse_error` whose context is
/// `<source>:<line>: <what is wrong>`, so no data is ever changed or dropped
/// silently.
caf::expected<std::vector<reg_statement>> parse_reg(std::string_view bytes,
                                                   std::string_view source);

/// Applies parsed statements to `target` in order.
void apply_statements(hive& target, const std::vector<reg_statement>& statements);

/// Parses `bytes` as a whole hive (the statements applied to an empty hive).
caf::expected<hive> parse_hive(std::string_view bytes, std::string_view source);

/// Renders keys in regedit's export format (UTF-8, LF line ends): the header,
/// then each key as `[PATH]` followed by its values and a blank line. Long hex
/// data wraps with `\` continuations as regedit does; types without a text
/// form are written as `hex(N):` with their number. A REG_SZ holding a line
/// break is written as `hex(1):` (a quoted string cannot carry one).
std::string render_reg(const std::vector<const reg_key*>& keys);

/// Renders the whole hive.
std::string render_hive(const hive& h);

} // namespace vigil
