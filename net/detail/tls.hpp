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

/// Makes `ctx` trust the system's CA certificates. Where the system keeps them
/// as a hashed directory (Debian's /etc/ssl/certs, kept by
/// update-ca-certificates), OpenSSL reads a CA from it only when a chain needs
/// it, instead of parsing the whole bundle up front (~140 certificates, about
/// 1 MB of heap for the client's whole life); otherwise the bundle file is
/// loaded. SSL_CERT_FILE and SSL_CERT_DIR override the two as they do for
/// OpenSSL (a file named by SSL_CERT_FILE is always loaded). A system without
/// either trusts nothing from it, which is not an error.
caf::error trust_system_store(boost::asio::ssl::context& ctx);

/// Restricts `ctx` to TLS 1.2 and newer.
void require_tls12(boost::asio::ssl::context& ctx);

/// The OpenSSL error queue as text, cleared.
std::string drain_openssl_errors();

} // namespace vigil::detail
