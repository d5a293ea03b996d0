#include "net/detail/tls.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace vigil::detail {

caf::error classify_handshake_failure(const boost::system::error_code& error, SSL* ssl,
                                      const std::string& peer) {
  auto prefix = "TLS handshake with " + peer + " failed: ";
  if (error == boost::beast::error::timeout)
    return make_error(ec::timeout, prefix + "timed out");
  long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (verify != X509_V_OK) {
    auto why = prefix + X509_verify_cert_error_string(verify);
    switch (verify) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CRL_HAS_EXPIRED: return make_error(ec::certificate_expired, why);
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
      case X509_V_ERR_EMAIL_MISMATCH: return make_error(ec::host_name_mismatch, why);
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_CERT_UNTRUSTED:
      case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      case X509_V_ERR_INVALID_CA: return make_error(ec::certificate_untrusted, why);
      default: return make_error(ec::tls_error, why);
    }
  }
  if (error.category() == boost::asio::error::get_ssl_category()) {
    switch (ERR_GET_REASON(static_cast<unsigned long>(error.value()))) {
      case SSL_R_UNSUPPORTED_PROTOCOL:
      case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      case SSL_R_NO_PROTOCOLS_AVAILABLE:
      case SSL_R_VERSION_TOO_LOW:
        return make_error(ec::tls_protocol_version,
                          prefix + "no common protocol version (TLS 1.2 or newer is required): "
                            + error.message());
      default: break;
    }
  }
  if (error == boost::asio::error::eof || error == boost::asio::ssl::error::stream_truncated
      || error == boost::asio::error::connection_reset)
    return make_error(ec::tls_error, prefix + "the peer closed the connection (" + error.message()
                                       + ")");
  return make_error(ec::tls_error, prefix + error.message());
}

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

/// Whether `cert` is in one of `dirs` under its subject hash (`1a2b3c4d.N`),
/// where OpenSSL's directory lookup finds it.
bool reachable_by_hash(X509* cert, const std::vector<std::string>& dirs) {
  char hash[9];
  std::snprintf(hash, sizeof hash, "%08lx", X509_subject_name_hash(cert));
  for (const auto& dir : dirs)
    for (int n = 0;; ++n) {
      auto path = dir + "/" + hash + "." + std::to_string(n);
      std::unique_ptr<BIO, decltype(&BIO_free)> file{BIO_new_file(path.c_str(), "r"), BIO_free};
      if (!file)
        break;
      std::unique_ptr<X509, decltype(&X509_free)> candidate{
        PEM_read_bio_X509(file.get(), nullptr, nullptr, nullptr), X509_free};
      if (candidate && X509_cmp(candidate.get(), cert) == 0)
        return true;
    }
  return false;
}

/// Whether loading the PEM bundle `file` would add nothing to what `dirs`
/// offer by hash: every certificate in it is there too. The bundle is parsed
/// and freed; a bundle that cannot be read adds nothing either.
bool bundle_covered_by(const std::string& file, const std::vector<std::string>& dirs) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bundle{BIO_new_file(file.c_str(), "r"), BIO_free};
  if (!bundle)
    return true;
  while (true) {
    std::unique_ptr<X509, decltype(&X509_free)> cert{
      PEM_read_bio_X509(bundle.get(), nullptr, nullptr, nullptr), X509_free};
    if (!cert)
      return true;
    if (!reachable_by_hash(cert.get(), dirs))
      return false;
  }
}

} // namespace

void trust_system_store(boost::asio::ssl::context& ctx) {
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
}

void require_tls12(boost::asio::ssl::context& ctx) {
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
}

std::string drain_openssl_errors() {
  std::string out;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out;
}

} // namespace vigil::detail
