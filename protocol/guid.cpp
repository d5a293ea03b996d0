#include "protocol/guid.hpp"

#include <cctype>

namespace vigil::protocol {

namespace {

constexpr std::string_view guid_shape = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";

bool is_hex(char c) noexcept {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

char fold(char c) noexcept {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

} // namespace

bool is_guid(std::string_view text) noexcept {
  if (text.size() != guid_shape.size())
    return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (guid_shape[i] == 'x' ? !is_hex(text[i]) : text[i] != guid_shape[i])
      return false;
  }
  return true;
}

bool guid_equal(std::string_view a, std::string_view b) noexcept {
  if (!is_guid(a) || !is_guid(b))
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i]))
      return false;
  return true;
}

} // namespace vigil::protocol
