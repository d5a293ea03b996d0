#include "host/secret_box.hpp"

#include <memory>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/base64.hpp"
#include "common/error.hpp"
#include "common/openssl_error.hpp"
#include "common/redact.hpp"
#include "host/machine_key.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

constexpr std::string_view version_prefix = "v1:";
constexpr size_t nonce_size = 12;
constexpr size_t tag_size = 16;
/// Secrets are passwords and tokens; the cap keeps every length well inside
/// OpenSSL's `int` and bounds what a hostile hive can make us allocate.
constexpr size_t max_plaintext = 64 * 1024;
constexpr std::string_view foreign_key_hint =
  "the secret was encrypted on another machine or the key changed "
  "(or it was altered, or sealed for another purpose)";

struct cipher_ctx_free {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

caf::error malformed(std::string_view purpose, std::string why) {
  return make_error(ec::parse_error,
                    "sealed " + std::string{purpose} + " is not a valid sealed value: " + why);
}

} // namespace

fs::path secret_box::host_key_file(const paths& p) {
  return p.host_key_file();
}

caf::expected<secret_box> secret_box::open(const paths& p) {
  auto key = load_machine_key(p);
  if (!key)
    return key.error();
  return secret_box{key->bytes};
}

machine_key::~machine_key() {
  OPENSSL_cleanse(bytes.data(), bytes.size());
}

secret_box::~secret_box() {
  OPENSSL_cleanse(key_.data(), key_.size());
}

caf::expected<std::string> secret_box::seal(std::string_view plaintext,
                                            std::string_view purpose) const {
  register_secret(plaintext);
  if (purpose.empty())
    return make_error(ec::invalid_argument, "sealing a secret needs a purpose");
  if (plaintext.size() > max_plaintext)
    return make_error(ec::too_large, "a secret longer than " + std::to_string(max_plaintext)
                                       + " bytes cannot be sealed");
  std::string raw(nonce_size + plaintext.size() + tag_size, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(raw.data());
  auto* body = nonce + nonce_size;
  auto* tag = body + plaintext.size();
  if (RAND_bytes(nonce, nonce_size) != 1)
    return openssl_error("generate a nonce");
  cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
  int len = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce)
            && EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                                 reinterpret_cast<const unsigned char*>(purpose.data()),
                                 static_cast<int>(purpose.size()));
  if (ok && !plaintext.empty())
    ok = EVP_EncryptUpdate(ctx.get(), body, &len,
                           reinterpret_cast<const unsigned char*>(plaintext.data()),
                           static_cast<int>(plaintext.size()));
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), tag, &len)
       && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size, tag);
  if (!ok)
    return openssl_error("encrypt " + std::string{purpose} + " (AES-256-GCM)");
  return std::string{version_prefix} + base64_encode(raw);
}

caf::expected<std::string> secret_box::open_sealed(std::string_view sealed,
                                                   std::string_view purpose) const {
  if (purpose.empty())
    return make_error(ec::invalid_argument, "opening a secret needs a purpose");
  if (!sealed.starts_with(version_prefix)) {
    if (sealed.size() > 1 && sealed[0] == 'v' && sealed.find(':') != std::string_view::npos)
      return malformed(purpose, "unsupported format version (this agent reads v1)");
    return malformed(purpose, "it does not start with \"v1:\"");
  }
  auto encoded = sealed.substr(version_prefix.size());
  if (encoded.size() > 4 * ((nonce_size + max_plaintext + tag_size + 2) / 3))
    return make_error(ec::too_large, "sealed " + std::string{purpose} + " is too long");
  auto raw = base64_decode(encoded);
  if (!raw)
    return malformed(purpose, "bad base64");
  if (raw->size() < nonce_size + tag_size)
    return malformed(purpose, "truncated (" + std::to_string(raw->size()) + " bytes)");
  auto* nonce = reinterpret_cast<const unsigned char*>(raw->data());
  auto* body = nonce + nonce_size;
  size_t body_size = raw->size() - nonce_size - tag_size;
  auto* tag = body + body_size;
  std::string plaintext(body_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
  int len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce)
            && EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                                 reinterpret_cast<const unsigned char*>(purpose.data()),
                                 static_cast<int>(purpose.size()));
  if (ok && body_size > 0)
    ok = EVP_DecryptUpdate(ctx.get(), out, &len, body, static_cast<int>(body_size));
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size,
                                 const_cast<unsigned char*>(tag));
  if (!ok) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return openssl_error("decrypt " + std::string{purpose} + " (AES-256-GCM)");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out + body_size, &len) != 1) {
    // GCM writes unauthenticated plaintext before the tag is checked: wipe it.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    ERR_clear_error();
    return make_error(ec::corruption, "cannot decrypt " + std::string{purpose} + ": "
                                        + std::string{foreign_key_hint});
  }
  register_secret(plaintext);
  return plaintext;
}

} // namespace vigil
