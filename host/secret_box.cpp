#include "host/secret_box.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base64.hpp"
#include "common/error.hpp"
#include "common/redact.hpp"
#include "host/hive_file.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

constexpr std::string_view version_prefix = "v1:";
constexpr size_t nonce_size = 12;
constexpr size_t tag_size = 16;
/// Secrets are passwords and tokens; the cap keeps every length well inside
/// OpenSSL's `int` and bounds what a hostile hive can make us allocate.
constexpr size_t max_plaintext = 64 * 1024;
/// Domain separation: a key derived here is never the key of anything else.
constexpr std::string_view hkdf_salt = "vigil/secret_box/v1";
constexpr std::string_view foreign_key_hint =
  "the secret was encrypted on another machine or the key changed "
  "(or it was altered, or sealed for another purpose)";

/// Key material that wipes itself.
struct scrubbed_key {
  std::array<unsigned char, 32> bytes{};
  scrubbed_key() = default;
  scrubbed_key(const scrubbed_key& other) : bytes{other.bytes} {}
  ~scrubbed_key() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

/// An open file descriptor, closed on destruction.
struct unique_fd {
  int fd;
  explicit unique_fd(int f) : fd{f} {}
  ~unique_fd() {
    if (fd >= 0)
      ::close(fd);
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
};

struct cipher_ctx_free {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct kdf_free {
  void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
};
struct kdf_ctx_free {
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

/// An error naming `what` and OpenSSL's queued reasons (and clearing them).
caf::error openssl_error(std::string what) {
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    what += std::string{": "} + buf;
  }
  return make_error(ec::unspecified, std::move(what));
}

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", mode & 07777);
  return buf;
}

/// Reads the key file, after checking it is ours alone. Tightens a loose mode
/// when we own the file. ENOENT comes back as `ec::not_found`.
caf::expected<scrubbed_key> read_key_file(const fs::path& file) {
  unique_fd fd{::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (fd.fd < 0) {
    if (errno == ELOOP)
      return make_error(ec::permission_denied,
                        "host key file " + file.string() + " is a symbolic link; refusing it");
    return make_system_error(errno, "open host key file " + file.string());
  }
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0)
    return make_system_error(errno, "stat host key file " + file.string());
  if (!S_ISREG(st.st_mode))
    return make_error(ec::permission_denied,
                      "host key file " + file.string() + " is not a regular file");
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return make_error(ec::permission_denied,
                      "host key file " + file.string() + " is owned by uid "
                        + std::to_string(st.st_uid) + ", neither us nor root; refusing it");
  if ((st.st_mode & 077) != 0) {
    if (st.st_uid != ::geteuid() || ::fchmod(fd.fd, 0600) != 0)
      return make_error(ec::permission_denied,
                        "host key file " + file.string() + " has mode " + octal(st.st_mode)
                          + " (readable by group or others) and cannot be fixed by us; "
                            "run chmod 600 on it as its owner");
  }
  scrubbed_key key;
  if (st.st_size != static_cast<off_t>(key.bytes.size()))
    return make_error(ec::corruption, "host key file " + file.string() + " has "
                                        + std::to_string(st.st_size) + " bytes, expected "
                                        + std::to_string(key.bytes.size())
                                        + "; restore it, or delete it and re-enter every "
                                          "stored secret");
  size_t got = 0;
  while (got < key.bytes.size()) {
    auto n = ::read(fd.fd, key.bytes.data() + got, key.bytes.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return make_system_error(errno, "read host key file " + file.string());
    if (n == 0)
      return make_error(ec::corruption, "host key file " + file.string() + " is truncated");
    got += static_cast<size_t>(n);
  }
  return key;
}

/// Creates the key file unless it exists, through the one atomic writer
/// (random temporary name, O_EXCL|O_NOFOLLOW, 0600 before the key is
/// written). It is published with link(2), which — unlike rename(2) — never
/// replaces a key another process published meanwhile: the loser of a race
/// simply reads the winner's key afterwards.
caf::expected<void> create_key_file(const fs::path& file) {
  scrubbed_key key;
  if (RAND_priv_bytes(key.bytes.data(), static_cast<int>(key.bytes.size())) != 1)
    return openssl_error("generate host key");
  auto written = write_file_atomically(
    file, std::string_view{reinterpret_cast<const char*>(key.bytes.data()), key.bytes.size()},
    0600, if_exists::keep);
  if (!written && code_of(written.error()) != ec::already_exists)
    return written.error();
  return {};
}

/// The first line of the machine-id, trimmed; empty when there is none. Any
/// other read failure is an error: guessing would derive the wrong key.
caf::expected<std::string> read_machine_id(const paths& p) {
  auto bytes = read_whole_file(p.machine_id_file());
  if (!bytes) {
    if (code_of(bytes.error()) == ec::not_found)
      return std::string{};
    return bytes.error();
  }
  auto line = bytes->substr(0, bytes->find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
    line.pop_back();
  return line;
}

caf::expected<scrubbed_key> derive_key(const scrubbed_key& host_key, const std::string& machine_id) {
  std::unique_ptr<EVP_KDF, kdf_free> kdf{EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr)};
  std::unique_ptr<EVP_KDF_CTX, kdf_ctx_free> ctx{kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr};
  if (!ctx)
    return openssl_error("HKDF-SHA256 is unavailable");
  std::string info = "machine-id:" + machine_id;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                      const_cast<unsigned char*>(host_key.bytes.data()),
                                      host_key.bytes.size()),
    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(hkdf_salt.data()),
                                      hkdf_salt.size()),
    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
    OSSL_PARAM_construct_end(),
  };
  scrubbed_key out;
  if (EVP_KDF_derive(ctx.get(), out.bytes.data(), out.bytes.size(), params) != 1)
    return openssl_error("derive the secret key (HKDF-SHA256)");
  return out;
}

caf::error malformed(std::string_view purpose, std::string why) {
  return make_error(ec::parse_error,
                    "sealed " + std::string{purpose} + " is not a valid sealed value: " + why);
}

} // namespace

fs::path secret_box::host_key_file(const paths& p) {
  return p.hive_file().parent_path() / "host.key";
}

caf::expected<secret_box> secret_box::open(const paths& p) {
  auto file = host_key_file(p);
  auto host_key = read_key_file(file);
  if (!host_key && code_of(host_key.error()) == ec::not_found) {
    if (auto created = create_key_file(file); !created)
      return created.error();
    host_key = read_key_file(file);
  }
  if (!host_key)
    return host_key.error();
  auto machine_id = read_machine_id(p);
  if (!machine_id)
    return machine_id.error();
  auto key = derive_key(*host_key, *machine_id);
  if (!key)
    return key.error();
  return secret_box{key->bytes};
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
