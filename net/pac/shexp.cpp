#include "net/pac/shexp.hpp"

#include <cstddef>

namespace vigil {

namespace {

/// The length of the UTF-8 sequence that starts at `text[at]`.
size_t sequence_length(std::string_view text, size_t at) {
  size_t end = at + 1;
  if (static_cast<unsigned char>(text[at]) >= 0xc0)
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80)
      ++end;
  return end - at;
}

} // namespace

bool shexp_match(std::string_view text, std::string_view pattern) {
  // Greedy with one backtrack point: on a mismatch, the last '*' takes one
  // more character. Earlier stars never need to change (any extension of
  // theirs is covered by the later star).
  size_t t = 0, p = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == '?') {
      t += sequence_length(text, t);
      ++p;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++t;
      ++p;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      resume += sequence_length(text, resume);
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

} // namespace vigil
