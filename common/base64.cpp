#include "common/base64.hpp"

#include <openssl/evp.h>

namespace vigil {

std::string base64_encode(std::string_view bytes) {
  // EVP_EncodeBlock writes 4 characters per started 3-byte group and a NUL.
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  if (text.empty())
    return std::string{};
  std::string out(text.size() / 4 * 3, '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0)
    return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes; drop them.
  size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  out.resize(static_cast<size_t>(n) - padding);
  // EVP_DecodeBlock skips leading and trailing whitespace and ignores unused
  // low bits; re-encoding makes only the canonical spelling acceptable.
  if (base64_encode(out) != text)
    return std::nullopt;
  return out;
}

} // namespace vigil
