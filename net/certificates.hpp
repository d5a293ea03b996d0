#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace vigil {

/// A private key and its certificate, both PEM-encoded. The key is unencrypted
/// PKCS#8 ("BEGIN PRIVATE KEY"); `cert_pem` may hold a chain, leaf first.
struct key_and_cert {
  std::string key_pem;  ///< the private key
  std::string cert_pem; ///< the certificate (or chain, leaf first)
};

/// The kind of key pair a new certificate gets.
enum class key_type {
  ec_p256,  ///< ECDSA on NIST P-256: fast to generate, the default
  rsa_2048, ///< RSA with a 2048-bit modulus, for peers that want RSA
};

/// What a new certificate says. Validity is relative to the moment of signing,
/// and may lie wholly in the past or the future (tests need expired and
/// not-yet-valid certificates).
struct cert_request {
  /// The subject's common name. When empty, the first DNS name (or else the
  /// first IP address) is used; a request with none of them is invalid.
  std::string common_name;
  /// subjectAltName DNS entries ("localhost", "*.example.test").
  std::vector<std::string> dns_names;
  /// subjectAltName IP entries, IPv4 or IPv6 text ("127.0.0.1", "::1").
  std::vector<std::string> ip_addresses;
  /// notBefore = now + not_before_offset (one hour back absorbs clock skew).
  std::chrono::seconds not_before_offset{-std::chrono::hours{1}};
  /// notAfter = notBefore + valid_for.
  std::chrono::seconds valid_for{std::chrono::hours{24 * 365}};
  /// For `make_signed_cert`: issue an intermediate CA instead of a server
  /// certificate. `make_self_signed_ca` always issues a CA.
  bool is_ca = false;
  /// The key pair generated for the new certificate.
  key_type key = key_type::ec_p256;
};

/// Creates a self-signed root CA: a new key pair, basicConstraints CA:TRUE
/// (critical), keyUsage keyCertSign/cRLSign/digitalSignature (critical),
/// subject and authority key identifiers, a random 128-bit serial, SHA-256
/// signature. Fails with `ec::invalid_argument` for an unusable request and
/// `ec::tls_error` naming OpenSSL's error otherwise.
caf::expected<key_and_cert> make_self_signed_ca(const cert_request& request);

/// Creates a certificate signed by `issuer` (whose `cert_pem` may be a chain;
/// its first certificate signs). Unless `request.is_ca`, it is a TLS server
/// certificate: basicConstraints CA:FALSE, keyUsage digitalSignature (plus
/// keyEncipherment for RSA keys), extendedKeyUsage serverAuth, subjectAltName
/// with every DNS and IP entry, subject and authority key identifiers, a random
/// 128-bit serial, SHA-256 signature. The returned `cert_pem` holds the new
/// certificate alone. Fails with `ec::invalid_argument` for an unusable request
/// (a malformed IP address), `ec::tls_error` when the issuer's PEM does not
/// parse, its key does not match its certificate, or OpenSSL fails.
caf::expected<key_and_cert> make_signed_cert(const cert_request& request,
                                             const key_and_cert& issuer);

/// The certificates of `vigil-platform serve` (SPEC §17) in `data_dir`, created
/// on first use: `ca.pem` (the root agents trust via `CaBundle=`), `ca.key`,
/// `server.pem` (leaf then CA) and `server.key`; key files get mode 0600. The
/// server certificate names `localhost`, `127.0.0.1`, `::1` and every entry of
/// `host_names_and_ips` (IP addresses are recognized as such). Later calls keep
/// the CA and keep the server certificate unless it is missing, unreadable, not
/// issued by the CA, not matching its key, missing one of the names, or expiring
/// within 30 days; then only the server certificate is issued again. Every file
/// is replaced atomically. Fails with `ec::tls_error` when `ca.pem` exists but
/// is unreadable, or cannot sign because `ca.key` is missing or does not match.
caf::expected<void> ensure_platform_certificates(const std::filesystem::path& data_dir,
                                                 std::vector<std::string> host_names_and_ips);

/// The notAfter time of the first certificate in `cert_pem`.
caf::expected<std::chrono::system_clock::time_point>
certificate_not_after(std::string_view cert_pem);

/// The subject of the first certificate in `cert_pem`, in RFC 2253 form
/// ("CN=Vigil Platform CA").
caf::expected<std::string> certificate_subject(std::string_view cert_pem);

} // namespace vigil
