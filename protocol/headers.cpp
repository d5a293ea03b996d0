#include "protocol/headers.hpp"

#include <cctype>
#include <charconv>

namespace vigil::protocol {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::string bearer(std::string_view token) {
  std::string out{"Bearer "};
  out += token;
  return out;
}

std::optional<std::string_view> parse_bearer(std::string_view header_value) noexcept {
  constexpr std::string_view scheme = "bearer";
  auto value = trim(header_value);
  if (value.size() <= scheme.size())
    return std::nullopt;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) != scheme[i])
      return std::nullopt;
  if (value[scheme.size()] != ' ' && value[scheme.size()] != '\t')
    return std::nullopt;
  auto token = trim(value.substr(scheme.size()));
  if (token.empty())
    return std::nullopt;
  return token;
}

std::optional<uint64_t> parse_byte_count(std::string_view header_value) noexcept {
  auto value = trim(header_value);
  if (value.empty())
    return std::nullopt;
  for (char c : value)
    if (c < '0' || c > '9')
      return std::nullopt;
  uint64_t out = 0;
  auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (err != std::errc{} || end != value.data() + value.size())
    return std::nullopt;
  return out;
}

} // namespace vigil::protocol
