#include "net/detail/tls.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <string>

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
