#pragma once

// Internal to net/: the operating system's trusted CA certificates (SPEC §11,
// "the system trust store"). What the system store is differs per system, so
// the one function below has one implementation each: net/posix (OpenSSL's
// directories and bundle file) and net/windows (the Windows certificate
// stores, crypt32). The CA bundle given at setup (`CaBundle=`) is loaded
// apart from this, by the client, on both. Not for use outside net/.

#include <boost/asio/ssl/context.hpp>
#include <caf/expected.hpp>
#include <cstddef>

namespace vigil::detail {

/// Makes `ctx` trust the system's CA certificates, in addition to whatever it
/// trusts already. Returns how many certificates it put into the context's
/// store now; sources that are read later, when a chain needs them, are not
/// counted.
///
/// POSIX: the sources of SSL_CTX_set_default_verify_paths (SSL_CERT_DIR, a
/// ':'-separated list, and SSL_CERT_FILE, or OpenSSL's built-in paths), with
/// one difference: the bundle file is loaded only when it holds a PEM block
/// that no hashed file in the directories holds. On Debian, /etc/ssl/certs
/// holds every certificate of the bundle under its hash, so OpenSSL reads a CA
/// only when a chain needs it instead of keeping ~140 parsed certificates
/// (about 1 MB of heap) for the client's whole life; a CA appended to the
/// bundle by hand still gets the bundle loaded. Like OpenSSL, a missing or
/// unreadable source trusts nothing and is not an error: this never fails.
///
/// Windows: every certificate of the local machine's "ROOT" store (with its
/// group-policy, enterprise and third-party parts) as a trust anchor, and
/// those of its "CA" store that are not self-signed as intermediates (a chain
/// through them must still end at a root), skipping each certificate the
/// "Disallowed" store holds and each one the store restricts to purposes
/// other than TLS server authentication. No compiled-in OpenSSL directory is
/// read. Fails with `ec::tls_error` naming the Windows error when the ROOT
/// store cannot be opened; a CA or Disallowed store that cannot be opened
/// adds or removes nothing. Windows fetches missing roots on demand for its
/// own verifier (automatic root update); OpenSSL sees only those present.
caf::expected<size_t> trust_system_store(boost::asio::ssl::context& ctx);

} // namespace vigil::detail
