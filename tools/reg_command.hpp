#pragma once

#include <caf/expected.hpp>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/hive_store.hpp"
#include "host/reg_value.hpp"

namespace vigil {

/// One vigil-reg command line, parsed (reg.exe's syntax: options start with `/`
/// or `-` and are case-insensitive).
struct reg_command {
  enum class verb { add, query, delete_, import, export_, help };
  verb what = verb::help;
  std::string key;                       ///< normalized key path (add, query, delete, export)
  std::optional<std::string> value_name; ///< `/v NAME`; "" for `/ve`
  bool all_values = false;               ///< delete `/va`
  bool recursive = false;                ///< query `/s`
  reg_type type = reg_type::sz;          ///< add `/t`
  std::string data;                      ///< add `/d`
  std::string separator = "\\0";         ///< add `/s` for REG_MULTI_SZ
  bool force = false;                    ///< add/delete `/f`, export `/y`
  std::string file;                      ///< import / export file
  std::string help_topic;                ///< "ADD" for `add /?`, empty for the general usage
};

/// Parses arguments (without the program name and `--root`). Errors are
/// `ec::invalid_argument` with the reason reg.exe users need to fix it. As in
/// reg.exe, an option given twice, `add` of a REG_DWORD without `/d`, `add` to
/// a root key and deleting a root key are refused.
caf::expected<reg_command> parse_reg_command(const std::vector<std::string>& args);

/// Converts `/d` text to a value of `type` the way reg.exe does: numbers in
/// decimal or `0x` hex (a REG_DWORD over 32 bits or without data is an error, a
/// REG_QWORD without data is 0), binary as hex digits, multi-strings split at
/// `separator`.
caf::expected<reg_value> make_reg_value(std::string name, reg_type type, std::string_view data,
                                        std::string_view separator);

/// What vigil-reg talks to: its output streams and a way to ask yes/no. `ask`
/// returns nothing when there is no terminal to ask, and then the command fails
/// instead of overwriting or deleting silently.
struct reg_console {
  std::ostream& out;
  std::ostream& err;
  std::function<std::optional<bool>(const std::string& question)> ask;
};

/// Runs a parsed command against `hive` and returns the process exit code
/// (0 success, 1 failure), writing reg.exe-style messages to the console.
int run_reg_command(const reg_command& command, hive_store& hive, reg_console& console);

/// The usage text for `topic` ("" for the general usage).
std::string reg_usage(std::string_view topic);

} // namespace vigil
