#pragma once

// Shell pattern matching for the `file` and `dir` collectors: fnmatch(3) on
// POSIX (scan/posix/glob_match.cpp), the same grammar written out on Windows,
// which has no fnmatch (scan/windows/glob_match.cpp). Internal to scan/.

#include <string_view>

namespace vigil::scan {

/// How `glob_match` treats '/' and a leading '.'.
struct glob_flags {
  /// A wildcard or bracket never matches '/' (FNM_PATHNAME).
  bool pathname = false;
  /// A leading '.' is matched only by a literal '.' (FNM_PERIOD).
  bool period = false;
};

/// Whether `name` matches the shell pattern `pattern`: `*`, `?`, bracket
/// expressions (`[a-z]`, `[!x]`) and backslash escapes.
bool glob_match(std::string_view pattern, std::string_view name, glob_flags flags);

} // namespace vigil::scan
