#pragma once

// Internal to net/: Asio's SSL types. Not for use outside net/.

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <caf/error.hpp>
#include <openssl/ssl.h>
#include <string>

namespace vigil::detail {

/// Names the cause of a failed TLS handshake with `peer`: the certificate
/// verification result first (expired, untrusted issuer, host mismatch), then
/// the TLS alert or library reason (protocol version), else the message.
caf::error classify_handshake_failure(const boost::system::error_code& error, SSL* ssl,
                                      const std::string& peer);

/// Restricts `ctx` to TLS 1.2 and newer.
void require_tls12(boost::asio::ssl::context& ctx);

/// The OpenSSL error queue as text, cleared.
std::string drain_openssl_errors();

} // namespace vigil::detail
