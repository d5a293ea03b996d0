#include "common/signing.hpp"

#include <algorithm>
#include <memory>
#include <new>
#include <optional>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/base64.hpp"
#include "common/error.hpp"
#include "common/sha256.hpp"
#include "common/text.hpp"

namespace vigil {

namespace {

constexpr size_t key_size = 32;
constexpr size_t signature_size = 64;

struct pkey_deleter {
  void operator()(EVP_PKEY* key) const noexcept {
    EVP_PKEY_free(key);
  }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept {
    EVP_MD_CTX_free(ctx);
  }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;

/// OpenSSL's most recent error message, and the thread's error queue emptied so
/// the message does not resurface in an unrelated caller.
std::string take_openssl_error() {
  auto code = ERR_peek_last_error();
  std::string out = "unknown OpenSSL error";
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    out = buffer;
  }
  ERR_clear_error();
  return out;
}

/// The 32 raw bytes of `text` when it is "<prefix><canonical base64 of 32
/// bytes>".
std::optional<std::string> decode_key_text(std::string_view text, std::string_view prefix) {
  if (!text.starts_with(prefix))
    return std::nullopt;
  auto raw = base64_decode(text.substr(prefix.size()));
  if (!raw || raw->size() != key_size)
    return std::nullopt;
  return raw;
}

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string public_text_of(const EVP_PKEY* key) {
  std::string raw(key_size, '\0');
  size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &size) != 1
      || size != key_size)
    throw std::bad_alloc{};
  return std::string{public_key_prefix} + base64_encode(raw);
}

} // namespace

signing_key::signing_key(const std::array<unsigned char, 32>& seed, std::string public_key_text)
  : seed_(seed), public_key_text_(std::move(public_key_text)) {
  // Nothing to check: both come from OpenSSL in the factories below.
}

signing_key::~signing_key() {
  OPENSSL_cleanse(seed_.data(), seed_.size());
}

caf::expected<signing_key> signing_key::generate() {
  std::array<unsigned char, 32> seed;
  if (RAND_priv_bytes(seed.data(), static_cast<int>(seed.size())) != 1)
    return make_error(ec::unspecified,
                      "cannot generate an Ed25519 key: no random bytes: " + take_openssl_error());
  pkey_ptr key{EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size())};
  if (!key) {
    OPENSSL_cleanse(seed.data(), seed.size());
    return make_error(ec::unspecified, "cannot generate an Ed25519 key: " + take_openssl_error());
  }
  signing_key out{seed, public_text_of(key.get())};
  OPENSSL_cleanse(seed.data(), seed.size());
  return out;
}

caf::expected<signing_key> signing_key::from_text(std::string_view text) {
  // The context never repeats `text`: it is a secret.
  auto raw = decode_key_text(trim_blanks_and_line_breaks(text), private_key_prefix);
  if (!raw)
    return make_error(ec::parse_error, "malformed private key: expected "
                                           + std::string{private_key_prefix}
                                           + "<base64 of 32 bytes>");
  std::array<unsigned char, 32> seed;
  std::copy(raw->begin(), raw->end(), seed.begin());
  OPENSSL_cleanse(raw->data(), raw->size());
  pkey_ptr key{EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size())};
  if (!key) {
    OPENSSL_cleanse(seed.data(), seed.size());
    return make_error(ec::parse_error,
                      "unusable Ed25519 private key: " + take_openssl_error());
  }
  signing_key out{seed, public_text_of(key.get())};
  OPENSSL_cleanse(seed.data(), seed.size());
  return out;
}

std::string signing_key::to_text() const {
  std::string_view seed{reinterpret_cast<const char*>(seed_.data()), seed_.size()};
  return std::string{private_key_prefix} + base64_encode(seed);
}

std::string signing_key::sign(std::string_view message) const {
  pkey_ptr key{EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(), seed_.size())};
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  std::string signature(signature_size, '\0');
  size_t size = signature.size();
  // Ed25519 hashes the message itself: no digest (NULL md), one-shot sign.
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1
      || EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                        bytes_of(message), message.size())
           != 1
      || size != signature_size) {
    ERR_clear_error();
    throw std::bad_alloc{};
  }
  return base64_encode(signature);
}

caf::expected<void> verify_signature(std::string_view public_key_text, std::string_view message,
                                     std::string_view signature_base64) {
  auto raw_key = decode_key_text(public_key_text, public_key_prefix);
  if (!raw_key)
    return make_error(ec::signature_invalid, "malformed public key: expected "
                                                 + std::string{public_key_prefix}
                                                 + "<base64 of 32 bytes>");
  auto signature = base64_decode(signature_base64);
  if (!signature || signature->size() != signature_size)
    return make_error(ec::signature_invalid,
                      "malformed signature: expected the base64 of 64 bytes");
  pkey_ptr key{EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(*raw_key),
                                           raw_key->size())};
  if (!key)
    return make_error(ec::signature_invalid,
                      "malformed public key " + key_id(public_key_text) + ": "
                        + take_openssl_error());
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  if (!ctx)
    throw std::bad_alloc{};
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
    return make_error(ec::signature_invalid,
                      "cannot verify with key " + key_id(public_key_text) + ": "
                        + take_openssl_error());
  auto verified = EVP_DigestVerify(ctx.get(), bytes_of(*signature), signature->size(),
                                   bytes_of(message), message.size());
  if (verified != 1) {
    ERR_clear_error();
    return make_error(ec::signature_invalid,
                      "the signature does not match the key " + key_id(public_key_text)
                        + " (the signed bytes were changed, or another key signed them)");
  }
  return {};
}

bool is_public_key_text(std::string_view text) {
  return decode_key_text(text, public_key_prefix).has_value();
}

std::string key_id(std::string_view public_key_text) {
  auto raw = decode_key_text(public_key_text, public_key_prefix);
  if (!raw)
    return {};
  return sha256_hex(*raw).substr(0, 16);
}

} // namespace vigil
