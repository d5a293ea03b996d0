// scan/glob_match.hpp on Windows, which has no fnmatch(3): the POSIX grammar
// (`*`, `?`, `[...]` with ranges and `!`/`^`, backslash escapes) by
// backtracking over the last `*`, byte by byte as fnmatch does in the C
// locale. Character classes ("[[:alpha:]]") are not supported: the '[' of a
// bracket holding one is taken as a literal '['.
#include "scan/glob_match.hpp"

#include <cstddef>

namespace vigil::scan {

namespace {

/// Matches the bracket expression starting at `pattern[i]` ('[') against `c`.
/// Sets `next` past it; returns false for no match. A '[' without its ']' is
/// a literal '['.
bool bracket(std::string_view pattern, size_t i, char c, glob_flags flags, size_t& next,
             bool& matched) {
  size_t j = i + 1;
  bool negate = j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^');
  if (negate)
    ++j;
  bool hit = false;
  bool first = true;
  while (j < pattern.size() && (first || pattern[j] != ']')) {
    first = false;
    if (pattern[j] == '[' && j + 1 < pattern.size() && pattern[j + 1] == ':')
      return false; // a character class: unsupported
    char low = pattern[j];
    if (low == '\\' && j + 1 < pattern.size())
      low = pattern[++j];
    char high = low;
    if (j + 2 < pattern.size() && pattern[j + 1] == '-' && pattern[j + 2] != ']') {
      high = pattern[j + 2];
      if (high == '\\' && j + 3 < pattern.size())
        high = pattern[++j + 2];
      j += 2;
    }
    auto u = static_cast<unsigned char>(c);
    if (static_cast<unsigned char>(low) <= u && u <= static_cast<unsigned char>(high))
      hit = true;
    ++j;
  }
  if (j >= pattern.size())
    return false; // no closing ']'
  next = j + 1;
  matched = hit != negate && !(flags.pathname && c == '/');
  return true;
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view name, glob_flags flags) {
  size_t p = 0, n = 0;
  size_t star_p = std::string_view::npos, star_n = 0;
  auto leading_period = [&](size_t at) {
    return flags.period && name[at] == '.'
           && (at == 0 || (flags.pathname && name[at - 1] == '/'));
  };
  while (n < name.size()) {
    bool advanced = false;
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        if (!leading_period(n)) {
          star_p = ++p;
          star_n = n;
          continue;
        }
      } else if (pc == '?') {
        if (!(flags.pathname && name[n] == '/') && !leading_period(n)) {
          ++p, ++n;
          advanced = true;
        }
      } else if (pc == '[') {
        size_t next = 0;
        bool matched = false;
        if (bracket(pattern, p, name[n], flags, next, matched)) {
          if (matched && !leading_period(n)) {
            p = next, ++n;
            advanced = true;
          }
        } else if (name[n] == '[') { // a lone '[' is itself
          ++p, ++n;
          advanced = true;
        }
      } else {
        if (pc == '\\' && p + 1 < pattern.size())
          pc = pattern[++p];
        if (pc == name[n]) {
          ++p, ++n;
          advanced = true;
        }
      }
    }
    if (advanced)
      continue;
    // Let the last '*' take one more character, unless that would cross a '/'.
    if (star_p == std::string_view::npos || (flags.pathname && name[star_n] == '/'))
      return false;
    p = star_p;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

} // namespace vigil::scan
