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

/// Makes `ctx` trust the system's CA certificates from the same sources as
/// SSL_CTX_set_default_verify_paths (SSL_CERT_DIR, a ':'-separated list, and
/// SSL_CERT_FILE, or OpenSSL's built-in paths), with one difference: the bundle
/// file is loaded only when it holds a PEM block that no hashed file in the
/// directories holds. On Debian, /etc/ssl/certs holds every certificate of the
/// bundle under its hash, so OpenSSL reads a CA only when a chain needs it
/// instead of keeping ~140 parsed certificates (about 1 MB of heap) for the
/// client's whole life; a CA appended to the bundle by hand still gets the
/// bundle loaded. Like OpenSSL, a missing or unreadable source trusts nothing
/// and is not an error.
void trust_system_store(boost::asio::ssl::context& ctx);

/// Restricts `ctx` to TLS 1.2 and newer.
void require_tls12(boost::asio::ssl::context& ctx);

/// The OpenSSL error queue as text, cleared.
std::string drain_openssl_errors();

} // namespace vigil::detail
