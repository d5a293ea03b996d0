#include "common/sha256.hpp"

#include <new>

#include <openssl/evp.h>

namespace vigil {

namespace {

std::string to_hex(const unsigned char* bytes, unsigned int size) {
  constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[bytes[i] >> 4];
    out += hex[bytes[i] & 0x0f];
  }
  return out;
}

} // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1)
    throw std::bad_alloc{};
  return to_hex(digest, size);
}

bool is_sha256_hex(std::string_view text) noexcept {
  if (text.size() != 64)
    return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

sha256_hasher::sha256_hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::bad_alloc{};
  }
}

sha256_hasher::~sha256_hasher() {
  EVP_MD_CTX_free(ctx_);
}

void sha256_hasher::update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1)
    throw std::bad_alloc{};
}

std::string sha256_hasher::finish_hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_, digest, &size) != 1
      || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
    throw std::bad_alloc{};
  return to_hex(digest, size);
}

} // namespace vigil
