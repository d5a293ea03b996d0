// The system trust store on POSIX systems (net/detail/system_trust.hpp):
// OpenSSL's directories of hashed certificates and its bundle file.
#include "net/detail/system_trust.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::detail {

namespace {

/// The directories of an OpenSSL path list ("a:b", as SSL_CERT_DIR may be).
std::vector<std::string> directories_of(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    auto colon = list.find(':');
    if (auto dir = list.substr(0, colon); !dir.empty())
      out.emplace_back(dir);
    if (colon == std::string_view::npos)
      break;
    list.remove_prefix(colon + 1);
  }
  return out;
}

/// The whole file at `path`, or nullopt when it cannot be read.
std::optional<std::string> contents_of(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// The PEM blocks of `text` ("-----BEGIN ...-----" to the end of its
/// "-----END ...-----" line), as they are written.
std::vector<std::string_view> pem_blocks(std::string_view text) {
  std::vector<std::string_view> out;
  for (size_t begin = text.find("-----BEGIN "); begin != std::string_view::npos;
       begin = text.find("-----BEGIN ", begin)) {
    auto end = text.find("-----END ", begin);
    if (end == std::string_view::npos)
      break;
    end = text.find("-----", end + 9);
    if (end == std::string_view::npos)
      break;
    out.push_back(text.substr(begin, end + 5 - begin));
    begin = end + 5;
  }
  return out;
}

/// Whether `name` is one of OpenSSL's hashed names of a certificate
/// (`1a2b3c4d.N`), the names its directory lookup opens.
bool is_hashed_name(std::string_view name) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  return name.size() > 9 && name[8] == '.' && std::all_of(name.begin(), name.begin() + 8, hex)
         && std::all_of(name.begin() + 9, name.end(), digit);
}

/// Whether loading the bundle `file` would add nothing to what `dirs` offer
/// by hash: each of its PEM blocks is, byte for byte, in a hashed file there
/// (Debian's ca-certificates writes the bundle from those very files). Text is
/// compared, no certificate is parsed, and nothing is kept. A bundle that
/// cannot be read adds nothing either.
bool bundle_covered_by(const std::string& file, const std::vector<std::string>& dirs) {
  auto bundle = contents_of(file);
  if (!bundle)
    return true;
  auto wanted = pem_blocks(*bundle);
  if (wanted.empty())
    return true;
  std::vector<std::string> hashed_files;
  std::set<std::string_view> offered;
  for (const auto& dir : dirs) {
    std::error_code error;
    for (std::filesystem::directory_iterator it{dir, error}, end; !error && it != end;
         it.increment(error))
      if (is_hashed_name(it->path().filename().string()))
        if (auto text = contents_of(it->path()))
          hashed_files.push_back(std::move(*text));
  }
  for (const auto& text : hashed_files)
    for (auto block : pem_blocks(text))
      offered.insert(block);
  return std::all_of(wanted.begin(), wanted.end(),
                     [&](std::string_view block) { return offered.contains(block); });
}

} // namespace

caf::expected<size_t> trust_system_store(boost::asio::ssl::context& ctx) {
  auto* store = SSL_CTX_get_cert_store(ctx.native_handle());
  auto held_before = sk_X509_OBJECT_num(X509_STORE_get0_objects(store));
  // The sources of SSL_CTX_set_default_verify_paths: SSL_CERT_DIR and
  // SSL_CERT_FILE replace the built-in paths; set but empty, they name nothing.
  const char* dir_variable = std::getenv(X509_get_default_cert_dir_env());
  const char* file_variable = std::getenv(X509_get_default_cert_file_env());
  std::string dir_list = dir_variable != nullptr ? dir_variable : X509_get_default_cert_dir();
  std::string file = file_variable != nullptr ? file_variable : X509_get_default_cert_file();
  if (!dir_list.empty())
    SSL_CTX_load_verify_dir(ctx.native_handle(), dir_list.c_str());
  if (!file.empty() && !bundle_covered_by(file, directories_of(dir_list)))
    SSL_CTX_load_verify_file(ctx.native_handle(), file.c_str());
  // Like OpenSSL: a missing or unreadable source trusts nothing, and is no error.
  ERR_clear_error();
  auto held = sk_X509_OBJECT_num(X509_STORE_get0_objects(store));
  return static_cast<size_t>(held > held_before ? held - held_before : 0);
}

} // namespace vigil::detail
