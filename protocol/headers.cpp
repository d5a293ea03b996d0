#include "protocol/headers.hpp"

#include <cctype>
#include <charconv>

#include "common/text.hpp"

namespace vigil::protocol {

std::string bearer(std::string_view token) {
  std::string out{"Bearer "};
  out += token;
  return out;
}

std::optional<std::string_view> parse_bearer(std::string_view header_value) noexcept {
  constexpr std::string_view scheme = "bearer";
  auto value = trim_blanks(header_value);
  if (value.size() <= scheme.size())
    return std::nullopt;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) != scheme[i])
      return std::nullopt;
  if (value[scheme.size()] != ' ' && value[scheme.size()] != '\t')
    return std::nullopt;
  auto token = trim_blanks(value.substr(scheme.size()));
  if (token.empty())
    return std::nullopt;
  return token;
}

std::optional<uint64_t> parse_byte_count(std::string_view header_value) noexcept {
  auto value = trim_blanks(header_value);
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
