#include "common/text.hpp"

#include <charconv>

namespace vigil {

namespace {

bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t';
}

/// `text` without the leading and trailing characters for which `strip` holds.
template <class Predicate>
std::string_view trim_if(std::string_view text, Predicate strip) noexcept {
  while (!text.empty() && strip(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && strip(text.back()))
    text.remove_suffix(1);
  return text;
}

} // namespace

bool is_blank_or_line_break(char c) noexcept {
  return is_blank(c) || c == '\r' || c == '\n';
}

bool is_control(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

std::string_view trim_blanks(std::string_view text) noexcept {
  return trim_if(text, is_blank);
}

std::string_view trim_blanks_and_line_breaks(std::string_view text) noexcept {
  return trim_if(text, is_blank_or_line_break);
}

std::string fold_case(std::string_view text) {
  std::string out{text};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<int64_t> parse_int64(std::string_view text) noexcept {
  int64_t out = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || err != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return out;
}

std::vector<std::string> non_empty_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    if (!line.empty())
      lines.emplace_back(line);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return lines;
}

} // namespace vigil
