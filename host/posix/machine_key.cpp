// Where secret_box's key comes from on POSIX (host/machine_key.hpp): host.key's
// random bytes, checked to be ours alone, mixed with the machine-id by HKDF.
#include "host/machine_key.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <memory>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/openssl_error.hpp"
#include "host/atomic_file.hpp"
#include "host/secret_box.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

/// Domain separation: a key derived here is never the key of anything else.
constexpr std::string_view hkdf_salt = "vigil/secret_box/v1";

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

struct kdf_free {
  void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
};
struct kdf_ctx_free {
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", mode & 07777);
  return buf;
}

/// Reads the key file, after checking it is ours alone. Tightens a loose mode
/// when we own the file. ENOENT comes back as `ec::not_found`.
caf::expected<machine_key> read_key_file(const fs::path& file) {
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
  machine_key key;
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
  machine_key key;
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

caf::expected<machine_key> derive_key(const machine_key& host_key, const std::string& machine_id) {
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
  machine_key out;
  if (EVP_KDF_derive(ctx.get(), out.bytes.data(), out.bytes.size(), params) != 1)
    return openssl_error("derive the secret key (HKDF-SHA256)");
  return out;
}

} // namespace

caf::expected<machine_key> load_machine_key(const paths& p) {
  auto file = secret_box::host_key_file(p);
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
  return derive_key(*host_key, *machine_id);
}

} // namespace vigil
