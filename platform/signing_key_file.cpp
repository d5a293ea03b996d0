#include "platform/signing_key_file.hpp"

#include "common/error.hpp"
#include "host/hive_file.hpp"

namespace vigil::platform {

std::filesystem::path signing_key_file(const std::filesystem::path& data_dir) {
  return data_dir / "signing-key";
}

std::filesystem::path signing_public_key_file(const std::filesystem::path& data_dir) {
  return data_dir / "signing-key.pub";
}

caf::expected<signing_key> ensure_signing_key(const std::filesystem::path& data_dir) {
  auto file = signing_key_file(data_dir);
  auto text = read_whole_file(file);
  caf::expected<signing_key> key = make_error(ec::unspecified);
  if (text) {
    key = signing_key::from_text(*text);
    if (!key)
      return make_error(ec::corruption, file.string() + " is not a signing key ("
                                          + context_of(key.error())
                                          + "); restore it from a backup: hosts trust only it");
  } else if (code_of(text.error()) == ec::not_found) {
    key = signing_key::generate();
    if (!key)
      return key.error();
    std::error_code ignored;
    std::filesystem::create_directories(data_dir, ignored);
    if (auto ok = write_file_atomically(file, key->to_text() + "\n", 0600); !ok)
      return ok.error();
  } else {
    return text.error();
  }
  // The public half is derived again at every start, so it always matches.
  auto pub = signing_public_key_file(data_dir);
  auto expected_pub = key->public_key_text() + "\n";
  if (auto current = read_whole_file(pub); !current || *current != expected_pub)
    if (auto ok = write_file_atomically(pub, expected_pub, 0644); !ok)
      return ok.error();
  return key;
}

} // namespace vigil::platform
