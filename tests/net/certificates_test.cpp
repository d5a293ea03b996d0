#include "net/certificates.hpp"

#include <doctest/doctest.h>

#include <string>

#include <openssl/x509.h>

#include "common/error.hpp"
#include "tests/net/certificate_checks.hpp"

using namespace vigil;
using namespace vigil::test;
using namespace std::chrono_literals;

namespace {

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
