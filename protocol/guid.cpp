#include "protocol/guid.hpp"

#include <cctype>

#include <cctype>
#include <openssl/rand.h>
#include <stdexcept>
#include <vector>

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

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    throw std::runtime_error("the OpenSSL random generator failed");
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (auto b : raw) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string guid_from_hex(std::string hex) {
  hex.resize(32, '0');
  hex[12] = '4';                 // version 4
  hex[16] = "89ab"[hex[16] % 4]; // variant 10xx
  for (auto& c : hex)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "{" + hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-"
         + hex.substr(16, 4) + "-" + hex.substr(20, 12) + "}";
}

std::string make_guid() {
  return guid_from_hex(random_hex(16));
}

} // namespace vigil::protocol
