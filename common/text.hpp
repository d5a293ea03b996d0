#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Plain ASCII text helpers shared across layers. They live in common/ because
// protocol/ (HTTP headers), scan/ and vigil-pac's result parser (which links
// only vigil_common) use them besides host/ (DESIGN layering).

namespace vigil {

/// A space, tab, carriage return or line feed: what separates arguments on a
/// command line and what `trim_blanks_and_line_breaks` strips.
bool is_blank_or_line_break(char c) noexcept;

/// An ASCII control character (below 0x20, or DEL).
bool is_control(char c) noexcept;

/// `text` without its leading and trailing spaces and tabs (line breaks are
/// kept).
std::string_view trim_blanks(std::string_view text) noexcept;

/// `text` without its leading and trailing spaces, tabs, carriage returns and
/// line feeds.
std::string_view trim_blanks_and_line_breaks(std::string_view text) noexcept;

/// Folds ASCII letters to lower case; other bytes are kept as they are. The
/// registry's case-insensitive compare (the hive only needs ASCII folding),
/// PAC keywords and host names, dpkg field names.
std::string fold_case(std::string_view text);

/// The decimal integer `text` spells, whole (an optional '-', digits, nothing
/// else), or nothing: what a stored number read back must be. Unlike
/// `std::stoll` it never throws, so a garbled value in a store or file is a
/// value to rebuild, not an actor that crashes at every start (issue 15).
std::optional<int64_t> parse_int64(std::string_view text) noexcept;

/// The lines of `text` that are not empty, without their line feeds: a file
/// or a program's output read one record a line (the tamper log, rpm's
/// lists).
std::vector<std::string> non_empty_lines(std::string_view text);

} // namespace vigil
