// Where secret_box's key comes from on Windows (machine_key.hpp): host.key
// holds 32 random bytes sealed by DPAPI in machine scope, so only this
// machine unseals it (SPEC §18, "secrets at rest"); a copy of the file on
// another machine, or a byte of it changed, unseals nothing.
#include "host/machine_key.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <windows.h>
#include <wincrypt.h>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "host/secret_box.hpp"
#include "host/windows/wide.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

/// DPAPI's optional entropy, as domain separation: a blob sealed here opens
/// only with it, and no other DPAPI blob of the machine is accepted as a key.
constexpr char entropy_text[] = "vigil/secret_box/v1";

DATA_BLOB entropy() {
  return {static_cast<DWORD>(sizeof(entropy_text) - 1),
          reinterpret_cast<BYTE*>(const_cast<char*>(entropy_text))};
}

/// Seals `key` for this machine.
caf::expected<std::string> seal(const machine_key& key, const fs::path& file) {
  DATA_BLOB in{static_cast<DWORD>(key.bytes.size()), const_cast<BYTE*>(key.bytes.data())};
  DATA_BLOB salt = entropy();
  DATA_BLOB out{};
  if (!::CryptProtectData(&in, L"Vigil host key", &salt, nullptr, nullptr,
                          CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN, &out))
    return win::last_error("seal the host key for " + win::display(file)
                           + " (CryptProtectData)");
  std::string sealed{reinterpret_cast<const char*>(out.pbData), out.cbData};
  ::LocalFree(out.pbData);
  return sealed;
}

/// Reads and unseals the key file. A missing file is `ec::not_found`.
caf::expected<machine_key> read_key_file(const fs::path& file) {
  auto sealed = read_whole_file(file);
  if (!sealed)
    return sealed.error();
  DATA_BLOB in{static_cast<DWORD>(sealed->size()), reinterpret_cast<BYTE*>(sealed->data())};
  DATA_BLOB salt = entropy();
  DATA_BLOB out{};
  if (!::CryptUnprotectData(&in, nullptr, &salt, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN,
                            &out)) {
    auto code = ::GetLastError();
    return make_error(ec::corruption,
                      "host key file " + win::display(file)
                        + " cannot be unsealed on this machine ("
                        + context_of(win::error_from(code, "CryptUnprotectData"))
                        + "); it was sealed "
                        "elsewhere or damaged: restore it, or delete it and re-enter every "
                        "stored secret");
  }
  machine_key key;
  bool sized = out.cbData == key.bytes.size();
  if (sized)
    std::copy(out.pbData, out.pbData + out.cbData, key.bytes.begin());
  OPENSSL_cleanse(out.pbData, out.cbData);
  auto length = out.cbData;
  ::LocalFree(out.pbData);
  if (!sized)
    return make_error(ec::corruption, "host key file " + win::display(file) + " holds "
                                        + std::to_string(length) + " bytes, expected "
                                        + std::to_string(key.bytes.size()));
  return key;
}

/// Creates the key file unless it exists, through the one atomic writer with
/// `if_exists::keep`: the loser of a race reads the winner's key afterwards.
caf::expected<void> create_key_file(const fs::path& file) {
  machine_key key;
  if (RAND_priv_bytes(key.bytes.data(), static_cast<int>(key.bytes.size())) != 1)
    return make_error(ec::io_error, "generate the host key for " + win::display(file));
  auto sealed = seal(key, file);
  if (!sealed)
    return sealed.error();
  auto written = write_file_atomically(file, *sealed, 0600, if_exists::keep);
  if (!written && code_of(written.error()) != ec::already_exists)
    return written.error();
  return {};
}

} // namespace

caf::expected<machine_key> load_machine_key(const paths& p) {
  auto file = secret_box::host_key_file(p);
  auto key = read_key_file(file);
  if (!key && code_of(key.error()) == ec::not_found) {
    if (auto created = create_key_file(file); !created)
      return created.error();
    key = read_key_file(file);
  }
  return key;
}

} // namespace vigil
