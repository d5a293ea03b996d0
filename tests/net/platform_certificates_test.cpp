// The files of `vigil-platform serve` (ensure_platform_certificates): their
// POSIX modes, and the real openssl program's verdict. The platform runs on
// Linux only, so this file is not in the Windows tests.
#include "net/certificates.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include "common/error.hpp"
#include "tests/net/certificate_checks.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::test;
using namespace std::chrono_literals;

namespace {

unsigned mode_of(const std::filesystem::path& file) {
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

} // namespace

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
