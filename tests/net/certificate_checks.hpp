#pragma once
// What the certificate tests share (certificates_test.cpp, which the Windows
// tests run too, and the POSIX platform_certificates_test.cpp): certificates
// are checked with OpenSSL's own verifier, as a TLS peer would.

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "net/certificates.hpp"

namespace vigil::test {

using namespace std::chrono_literals;

struct x509_deleter {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct store_deleter {
  void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};
struct store_ctx_deleter {
  void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
};
struct bio_deleter {
  void operator()(BIO* p) const noexcept { BIO_free_all(p); }
};
struct x509_stack_deleter {
  void operator()(STACK_OF(X509) * p) const noexcept { sk_X509_pop_free(p, X509_free); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

inline x509_ptr parse(const std::string& pem) {
  std::unique_ptr<BIO, bio_deleter> bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
  REQUIRE(cert);
  return cert;
}

/// What a TLS client checking `leaf_pem` against the root `ca_pem` (with the
/// `intermediates`, untrusted) for the host name or IP address would conclude:
/// X509_V_OK or the verifier's error. Strict RFC 5280 checks are on.
inline int verify(const std::string& leaf_pem, const std::string& ca_pem,
           std::optional<std::string> host = std::nullopt,
           std::optional<std::string> ip = std::nullopt,
           const std::vector<std::string>& intermediates = {}) {
  auto leaf = parse(leaf_pem);
  auto ca = parse(ca_pem);
  std::unique_ptr<X509_STORE, store_deleter> store{X509_STORE_new()};
  REQUIRE(X509_STORE_add_cert(store.get(), ca.get()) == 1);
  std::unique_ptr<STACK_OF(X509), x509_stack_deleter> chain{sk_X509_new_null()};
  for (auto& pem : intermediates)
    REQUIRE(sk_X509_push(chain.get(), parse(pem).release()) > 0);
  std::unique_ptr<X509_STORE_CTX, store_ctx_deleter> ctx{X509_STORE_CTX_new()};
  REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), chain.get()) == 1);
  auto* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  REQUIRE(X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER) == 1);
  if (host)
    REQUIRE(X509_VERIFY_PARAM_set1_host(param, host->c_str(), host->size()) == 1);
  if (ip)
    REQUIRE(X509_VERIFY_PARAM_set1_ip_asc(param, ip->c_str()) == 1);
  if (X509_verify_cert(ctx.get()) == 1)
    return X509_V_OK;
  return X509_STORE_CTX_get_error(ctx.get());
}

inline cert_request ca_request(std::string name = "Vigil Test CA") {
  cert_request request;
  request.common_name = std::move(name);
  request.valid_for = 24h * 365;
  return request;
}

inline cert_request server_request() {
  cert_request request;
  request.common_name = "platform.example";
  request.dns_names = {"platform.example", "localhost"};
  request.ip_addresses = {"127.0.0.1", "::1"};
  return request;
}

inline size_t count_certificates(const std::string& pem) {
  size_t n = 0;
  for (auto at = pem.find("-----BEGIN CERTIFICATE-----"); at != std::string::npos;
       at = pem.find("-----BEGIN CERTIFICATE-----", at + 1))
    ++n;
  return n;
}

} // namespace vigil::test
