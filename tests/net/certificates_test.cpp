#include "net/certificates.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "common/error.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

// The certificates are checked with OpenSSL's own verifier, as a TLS peer would.

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

x509_ptr parse(const std::string& pem) {
  std::unique_ptr<BIO, bio_deleter> bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
  REQUIRE(cert);
  return cert;
}

/// What a TLS client checking `leaf_pem` against the root `ca_pem` (with the
/// `intermediates`, untrusted) for the host name or IP address would conclude:
/// X509_V_OK or the verifier's error. Strict RFC 5280 checks are on.
int verify(const std::string& leaf_pem, const std::string& ca_pem,
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

cert_request ca_request(std::string name = "Vigil Test CA") {
  cert_request request;
  request.common_name = std::move(name);
  request.valid_for = 24h * 365;
  return request;
}

cert_request server_request() {
  cert_request request;
  request.common_name = "platform.example";
  request.dns_names = {"platform.example", "localhost"};
  request.ip_addresses = {"127.0.0.1", "::1"};
  return request;
}

size_t count_certificates(const std::string& pem) {
  size_t n = 0;
  for (auto at = pem.find("-----BEGIN CERTIFICATE-----"); at != std::string::npos;
       at = pem.find("-----BEGIN CERTIFICATE-----", at + 1))
    ++n;
  return n;
}

unsigned mode_of(const std::filesystem::path& file) {
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::string serial_of(const std::string& pem) {
  auto cert = parse(pem);
  auto* serial = X509_get0_serialNumber(cert.get());
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                     static_cast<size_t>(ASN1_STRING_length(serial)));
}

} // namespace

TEST_CASE("certificates: a self-signed CA is a strict RFC 5280 root") {
  for (auto type : {key_type::ec_p256, key_type::rsa_2048}) {
    CAPTURE(static_cast<int>(type));
    auto request = ca_request();
    request.key = type;
    auto ca = make_self_signed_ca(request);
    REQUIRE(ca);
    CHECK(ca->key_pem.find("-----BEGIN PRIVATE KEY-----") == 0);
    CHECK(count_certificates(ca->cert_pem) == 1);
    auto cert = parse(ca->cert_pem);
    CHECK(X509_check_ca(cert.get()) == 1);
    CHECK(X509_check_issued(cert.get(), cert.get()) == X509_V_OK);
    CHECK(X509_get_version(cert.get()) == X509_VERSION_3);
    CHECK(X509_get0_subject_key_id(cert.get()) != nullptr);
    CHECK(X509_get0_authority_key_id(cert.get()) != nullptr);
    CHECK(EVP_PKEY_get_base_id(X509_get0_pubkey(cert.get()))
          == (type == key_type::rsa_2048 ? EVP_PKEY_RSA : EVP_PKEY_EC));
    // A root verifies as itself, strict checks included.
    CHECK(verify(ca->cert_pem, ca->cert_pem) == X509_V_OK);
    auto subject = certificate_subject(ca->cert_pem);
    REQUIRE(subject);
    CHECK(*subject == "CN=Vigil Test CA");
  }
}

TEST_CASE("certificates: a leaf verifies for its names and addresses, and only those") {
  auto ca = make_self_signed_ca(ca_request());
  REQUIRE(ca);
  for (auto type : {key_type::ec_p256, key_type::rsa_2048}) {
    CAPTURE(static_cast<int>(type));
    auto request = server_request();
    request.key = type;
    auto leaf = make_signed_cert(request, *ca);
    REQUIRE(leaf);
    CHECK(count_certificates(leaf->cert_pem) == 1);
    CHECK(verify(leaf->cert_pem, ca->cert_pem, "platform.example") == X509_V_OK);
    CHECK(verify(leaf->cert_pem, ca->cert_pem, "LOCALHOST") == X509_V_OK);
    CHECK(verify(leaf->cert_pem, ca->cert_pem, std::nullopt, "127.0.0.1") == X509_V_OK);
    CHECK(verify(leaf->cert_pem, ca->cert_pem, std::nullopt, "::1") == X509_V_OK);
    CHECK(verify(leaf->cert_pem, ca->cert_pem, "other.example")
          == X509_V_ERR_HOSTNAME_MISMATCH);
    CHECK(verify(leaf->cert_pem, ca->cert_pem, std::nullopt, "127.0.0.2")
          == X509_V_ERR_IP_ADDRESS_MISMATCH);
    auto cert = parse(leaf->cert_pem);
    CHECK(X509_check_ca(cert.get()) == 0);
    CHECK((X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER) != 0);
    CHECK((X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE) != 0);
    CHECK(((X509_get_key_usage(cert.get()) & KU_KEY_ENCIPHERMENT) != 0)
          == (type == key_type::rsa_2048));
  }
}

TEST_CASE("certificates: serials are random and 16 bytes long") {
  auto ca = make_self_signed_ca(ca_request());
  REQUIRE(ca);
  auto a = make_signed_cert(server_request(), *ca);
  auto b = make_signed_cert(server_request(), *ca);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(serial_of(a->cert_pem) != serial_of(b->cert_pem));
  CHECK(serial_of(a->cert_pem).size() >= 14); // leading zero bytes are not encoded
  CHECK(serial_of(a->cert_pem).size() <= 16);
}

TEST_CASE("certificates: validity can lie in the past or the future") {
  auto ca = make_self_signed_ca(ca_request());
  REQUIRE(ca);
  SUBCASE("expired") {
    auto request = server_request();
    request.not_before_offset = -24h * 30;
    request.valid_for = 24h;
    auto leaf = make_signed_cert(request, *ca);
    REQUIRE(leaf);
    CHECK(verify(leaf->cert_pem, ca->cert_pem, "localhost") == X509_V_ERR_CERT_HAS_EXPIRED);
    auto not_after = certificate_not_after(leaf->cert_pem);
    REQUIRE(not_after);
    auto expected = std::chrono::system_clock::now() - 24h * 29;
    CHECK(*not_after > expected - 10s);
    CHECK(*not_after < expected + 10s);
  }
  SUBCASE("not yet valid") {
    auto request = server_request();
    request.not_before_offset = 24h;
    auto leaf = make_signed_cert(request, *ca);
    REQUIRE(leaf);
    CHECK(verify(leaf->cert_pem, ca->cert_pem, "localhost") == X509_V_ERR_CERT_NOT_YET_VALID);
  }
  SUBCASE("notAfter of a current certificate") {
    auto request = server_request();
    request.valid_for = 24h * 100;
    auto leaf = make_signed_cert(request, *ca);
    REQUIRE(leaf);
    auto not_after = certificate_not_after(leaf->cert_pem);
    REQUIRE(not_after);
    auto expected = std::chrono::system_clock::now() - 1h + 24h * 100;
    CHECK(*not_after > expected - 10s);
    CHECK(*not_after < expected + 10s);
  }
}

TEST_CASE("certificates: a leaf of another CA is not trusted") {
  auto ca = make_self_signed_ca(ca_request());
  auto stranger = make_self_signed_ca(ca_request("Somebody Else's CA"));
  REQUIRE(ca);
  REQUIRE(stranger);
  auto leaf = make_signed_cert(server_request(), *stranger);
  REQUIRE(leaf);
  CHECK(verify(leaf->cert_pem, ca->cert_pem, "localhost")
        == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  CHECK(verify(leaf->cert_pem, stranger->cert_pem, "localhost") == X509_V_OK);
  // Same subject name, different key: still not trusted.
  auto twin = make_self_signed_ca(ca_request());
  REQUIRE(twin);
  auto twin_leaf = make_signed_cert(server_request(), *twin);
  REQUIRE(twin_leaf);
  CHECK(verify(twin_leaf->cert_pem, ca->cert_pem, "localhost") != X509_V_OK);
}

TEST_CASE("certificates: an intermediate CA issues leaves that chain to the root") {
  auto root = make_self_signed_ca(ca_request());
  REQUIRE(root);
  auto request = ca_request("Vigil Test Intermediate");
  request.is_ca = true;
  auto intermediate = make_signed_cert(request, *root);
  REQUIRE(intermediate);
  CHECK(X509_check_ca(parse(intermediate->cert_pem).get()) == 1);
  auto leaf = make_signed_cert(server_request(), *intermediate);
  REQUIRE(leaf);
  CHECK(verify(leaf->cert_pem, root->cert_pem, "localhost", std::nullopt,
               {intermediate->cert_pem})
        == X509_V_OK);
  CHECK(verify(leaf->cert_pem, root->cert_pem, "localhost") != X509_V_OK);
}

TEST_CASE("certificates: unusable input is reported, not issued") {
  auto ca = make_self_signed_ca(ca_request());
  REQUIRE(ca);
  SUBCASE("no name at all") {
    auto made = make_self_signed_ca(cert_request{});
    REQUIRE_FALSE(made);
    CHECK(code_of(made.error()) == ec::invalid_argument);
  }
  SUBCASE("a malformed IP address") {
    auto request = server_request();
    request.ip_addresses = {"300.1.1.1"};
    auto made = make_signed_cert(request, *ca);
    REQUIRE_FALSE(made);
    CHECK(code_of(made.error()) == ec::invalid_argument);
    CHECK(context_of(made.error()).find("300.1.1.1") != std::string::npos);
  }
  SUBCASE("a DNS name with a space") {
    auto request = server_request();
    request.dns_names = {"bad name"};
    auto made = make_signed_cert(request, *ca);
    REQUIRE_FALSE(made);
    CHECK(code_of(made.error()) == ec::invalid_argument);
  }
  SUBCASE("a validity of zero") {
    auto request = server_request();
    request.valid_for = 0s;
    auto made = make_signed_cert(request, *ca);
    REQUIRE_FALSE(made);
    CHECK(code_of(made.error()) == ec::invalid_argument);
  }
  SUBCASE("an issuer whose key is not its certificate's") {
    auto other = make_self_signed_ca(ca_request());
    REQUIRE(other);
    auto made = make_signed_cert(server_request(), key_and_cert{other->key_pem, ca->cert_pem});
    REQUIRE_FALSE(made);
    CHECK(code_of(made.error()) == ec::tls_error);
    CHECK(context_of(made.error()).find("does not match") != std::string::npos);
  }
  SUBCASE("an issuer that is not PEM") {
    auto made = make_signed_cert(server_request(), key_and_cert{"junk", "junk"});
    REQUIRE_FALSE(made);
    CHECK(code_of(made.error()) == ec::tls_error);
    CAPTURE(render(made.error()));
    // OpenSSL's own reason is part of the message.
    CHECK(context_of(made.error()).find("PEM") != std::string::npos);
  }
  SUBCASE("inspecting something that is not a certificate") {
    auto not_after = certificate_not_after("not a certificate");
    REQUIRE_FALSE(not_after);
    CHECK(code_of(not_after.error()) == ec::tls_error);
    auto subject = certificate_subject(ca->key_pem);
    REQUIRE_FALSE(subject);
    CHECK(code_of(subject.error()) == ec::tls_error);
  }
}

TEST_CASE("certificates: the platform's files are made once and then kept") {
  test::temp_dir dir;
  auto data = dir / "platform";
  REQUIRE(ensure_platform_certificates(data, {"platform.example", "10.1.2.3", "[fd00::7]"}));
  auto ca_pem = test::read_file(data / "ca.pem");
  auto ca_key = test::read_file(data / "ca.key");
  auto server_pem = test::read_file(data / "server.pem");
  auto server_key = test::read_file(data / "server.key");
  REQUIRE(count_certificates(ca_pem) == 1);
  REQUIRE(count_certificates(server_pem) == 2); // leaf, then the CA
  CHECK(server_pem.substr(server_pem.find("-----BEGIN", 1)) == ca_pem);
  CHECK(mode_of(data / "ca.key") == 0600);
  CHECK(mode_of(data / "server.key") == 0600);
  CHECK((mode_of(data / "ca.pem") & 0600) == 0600);
  for (auto host : {"localhost", "platform.example"})
    CHECK(verify(server_pem, ca_pem, host) == X509_V_OK);
  for (auto ip : {"127.0.0.1", "::1", "10.1.2.3", "fd00::7"})
    CHECK(verify(server_pem, ca_pem, std::nullopt, ip) == X509_V_OK);

  SUBCASE("the real openssl agrees") {
    auto result = test::run({"/usr/bin/openssl", "verify", "-x509_strict", "-purpose", "sslserver",
                             "-verify_hostname", "platform.example", "-CAfile",
                             (data / "ca.pem").string(), (data / "server.pem").string()});
    CAPTURE(result.out);
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find(": OK") != std::string::npos);
    auto by_ip = test::run({"/usr/bin/openssl", "verify", "-purpose", "sslserver", "-verify_ip",
                            "127.0.0.1", "-CAfile", (data / "ca.pem").string(),
                            (data / "server.pem").string()});
    CHECK(by_ip.exit_code == 0);
    auto wrong = test::run({"/usr/bin/openssl", "verify", "-verify_hostname", "other.example",
                            "-CAfile", (data / "ca.pem").string(), (data / "server.pem").string()});
    CHECK(wrong.exit_code != 0);
  }
  SUBCASE("a second start changes nothing") {
    REQUIRE(ensure_platform_certificates(data, {"platform.example", "10.1.2.3", "fd00::7"}));
    CHECK(test::read_file(data / "ca.pem") == ca_pem);
    CHECK(test::read_file(data / "ca.key") == ca_key);
    CHECK(test::read_file(data / "server.pem") == server_pem);
    CHECK(test::read_file(data / "server.key") == server_key);
  }
  SUBCASE("a new host name issues a new server certificate from the same CA") {
    REQUIRE(ensure_platform_certificates(data, {"platform.example", "new.example"}));
    CHECK(test::read_file(data / "ca.pem") == ca_pem);
    CHECK(test::read_file(data / "ca.key") == ca_key);
    auto renewed = test::read_file(data / "server.pem");
    CHECK(renewed != server_pem);
    CHECK(test::read_file(data / "server.key") != server_key);
    CHECK(verify(renewed, ca_pem, "new.example") == X509_V_OK);
  }
  SUBCASE("a missing server certificate is issued again") {
    std::filesystem::remove(data / "server.pem");
    REQUIRE(ensure_platform_certificates(data, {}));
    CHECK(test::read_file(data / "ca.pem") == ca_pem);
    CHECK(verify(test::read_file(data / "server.pem"), ca_pem, "localhost") == X509_V_OK);
  }
  SUBCASE("a key that does not match the certificate is replaced") {
    auto other = make_self_signed_ca(ca_request());
    REQUIRE(other);
    test::write_file(data / "server.key", other->key_pem);
    REQUIRE(ensure_platform_certificates(data, {}));
    CHECK(test::read_file(data / "server.pem") != server_pem);
    CHECK(test::read_file(data / "ca.pem") == ca_pem);
  }
  SUBCASE("a server certificate expiring within 30 days is renewed") {
    auto request = server_request();
    request.valid_for = 24h * 10;
    auto soon = make_signed_cert(request, key_and_cert{ca_key, ca_pem});
    REQUIRE(soon);
    test::write_file(data / "server.pem", soon->cert_pem + ca_pem);
    test::write_file(data / "server.key", soon->key_pem);
    REQUIRE(ensure_platform_certificates(data, {}));
    CHECK(test::read_file(data / "ca.pem") == ca_pem);
    auto renewed = test::read_file(data / "server.pem");
    CHECK(renewed != soon->cert_pem + ca_pem);
    auto not_after = certificate_not_after(renewed);
    REQUIRE(not_after);
    CHECK(*not_after > std::chrono::system_clock::now() + 24h * 300);
  }
  SUBCASE("a server certificate from another CA is replaced") {
    auto stranger = make_self_signed_ca(ca_request("Vigil Platform CA"));
    REQUIRE(stranger);
    auto foreign = make_signed_cert(server_request(), *stranger);
    REQUIRE(foreign);
    test::write_file(data / "server.pem", foreign->cert_pem + stranger->cert_pem);
    test::write_file(data / "server.key", foreign->key_pem);
    REQUIRE(ensure_platform_certificates(data, {}));
    CHECK(verify(test::read_file(data / "server.pem"), ca_pem, "localhost") == X509_V_OK);
  }
  SUBCASE("without ca.key a current server certificate is kept, a missing one is an error") {
    std::filesystem::remove(data / "ca.key");
    REQUIRE(ensure_platform_certificates(data, {}));
    CHECK(test::read_file(data / "server.pem") == server_pem);
    std::filesystem::remove(data / "server.pem");
    auto made = ensure_platform_certificates(data, {});
    REQUIRE_FALSE(made);
    CHECK(code_of(made.error()) == ec::tls_error);
    CHECK(context_of(made.error()).find("ca.key") != std::string::npos);
    CHECK(test::read_file(data / "ca.pem") == ca_pem);
  }
  SUBCASE("an unreadable ca.pem is reported and left alone") {
    test::write_file(data / "ca.pem", "garbage");
    auto made = ensure_platform_certificates(data, {});
    REQUIRE_FALSE(made);
    CHECK(code_of(made.error()) == ec::tls_error);
    CHECK(context_of(made.error()).find("ca.pem") != std::string::npos);
    CHECK(test::read_file(data / "ca.pem") == "garbage");
    CHECK(test::read_file(data / "server.pem") == server_pem);
  }
  SUBCASE("a key left without its CA certificate (a crash at first start) is replaced") {
    std::filesystem::remove(data / "ca.pem");
    REQUIRE(ensure_platform_certificates(data, {}));
    auto new_ca = test::read_file(data / "ca.pem");
    CHECK(new_ca != ca_pem);
    CHECK(test::read_file(data / "ca.key") != ca_key);
    CHECK(verify(test::read_file(data / "server.pem"), new_ca, "localhost") == X509_V_OK);
  }
}
