// The HTTPS client and server against each other, against real `openssl
// s_server` instances with bad certificates, and through real tinyproxy
// instances. Everything on 127.0.0.1.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "common/error.hpp"
#include "net/certificates.hpp"
#include "net/detail/system_trust.hpp"
#include "net/detail/tls.hpp"
#include "net/https_client.hpp"
#include "net/https_server.hpp"
#include "net/proxy_chain.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/process.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

http_response echo(const http_request& request) {
  http_response response;
  response.fields.set("Content-Type", "text/plain");
  // Which connection the request came on: tests count TLS handshakes by it.
  response.fields.set("X-Connection", std::to_string(request.connection));
  response.body = request.method + " " + request.target + " " + request.body;
  return response;
}

/// A CA, its server certificate for 127.0.0.1/localhost, and files for both.
struct pki {
  test::temp_dir dir;
  key_and_cert ca;
  std::filesystem::path ca_file = dir / "ca.pem";

  pki() {
    cert_request ca_request;
    ca_request.common_name = "Vigil Test CA";
    ca_request.is_ca = true;
    ca = *make_self_signed_ca(ca_request);
    test::write_file(ca_file, ca.cert_pem);
  }

  /// Issues a leaf and writes NAME.pem / NAME.key; returns the two paths.
  std::pair<std::filesystem::path, std::filesystem::path>
  leaf(const std::string& name, cert_request request, const key_and_cert* issuer = nullptr) {
    auto issued = make_signed_cert(request, issuer ? *issuer : ca);
    REQUIRE(issued);
    auto cert = dir / (name + ".pem");
    auto key = dir / (name + ".key");
    test::write_file(cert, issued->cert_pem + (issuer ? issuer->cert_pem : ca.cert_pem));
    test::write_file(key, issued->key_pem);
    return {cert, key};
  }

  static cert_request for_loopback() {
    cert_request r;
    r.common_name = "127.0.0.1";
    r.dns_names = {"localhost"};
    r.ip_addresses = {"127.0.0.1", "::1"};
    return r;
  }

  /// An `echo` server on 127.0.0.1 with a "server" leaf of this CA; bodies
  /// larger than `max_body_bytes` get 413.
  std::unique_ptr<https_server> echo_server(size_t max_body_bytes = server_options{}.max_body_bytes) {
    auto [cert, key] = leaf("server", for_loopback());
    server_options options;
    options.certificate_chain = cert;
    options.private_key = key;
    options.max_body_bytes = max_body_bytes;
    auto server = https_server::start(options, echo);
    REQUIRE(server);
    return std::move(*server);
  }

  https_client client(std::chrono::milliseconds timeout = 5000ms) const {
    client_options options;
    options.trust.ca_bundle = ca_file;
    options.connect_timeout = timeout;
    options.io_timeout = timeout;
    return *https_client::make(options);
  }
};

url loopback(uint16_t port, const std::string& host = "127.0.0.1") {
  return *parse_url("https://" + host + ":" + std::to_string(port) + "/CloudAgent/");
}

http_request get(std::string target) {
  http_request r;
  r.target = std::move(target);
  return r;
}

} // namespace

TEST_CASE("https: client and server talk over verified TLS, with keep-alive limits") {
  pki p;
  auto server = p.echo_server(1024);
  auto client = p.client();
  http_request post;
  post.method = "POST";
  post.target = "/CloudAgent/v1/checkin";
  post.body = "hello";
  auto response = client.send(loopback(server->port()), post);
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "POST /CloudAgent/v1/checkin hello");
  // The next request to the same server reuses the connection (one handshake).
  auto second = client.send(loopback(server->port()), get("/second"));
  REQUIRE(second);
  CHECK(second->fields.get("X-Connection") == response->fields.get("X-Connection"));
  SUBCASE("by host name too") {
    auto named = client.send(loopback(server->port(), "localhost"), get("/x"));
    REQUIRE(named);
    CHECK(named->body == "GET /x ");
  }
  SUBCASE("an oversized body gets 413 and the server keeps serving") {
    post.body.assign(4096, 'x');
    auto big = client.send(loopback(server->port()), post);
    REQUIRE(big);
    CHECK(big->status == 413);
    auto after = client.send(loopback(server->port()), get("/after"));
    REQUIRE(after);
    CHECK(after->status == 200);
  }
  server->stop();
  auto gone = client.send(loopback(server->port()), get("/"));
  REQUIRE_FALSE(gone);
  CAPTURE(render(gone.error()));
  CHECK(code_of(gone.error()) == ec::connection_refused);
}

TEST_CASE("https: every certificate problem is refused with its named cause") {
  pki p;
  SUBCASE("expired") {
    auto request = pki::for_loopback();
    request.not_before_offset = -std::chrono::hours{24 * 30};
    request.valid_for = std::chrono::hours{24};
    auto [cert, key] = p.leaf("expired", request);
    test::openssl_server server{cert, key};
    auto r = p.client().send(loopback(server.port()), get("/"));
    REQUIRE_FALSE(r);
    CHECK(code_of(r.error()) == ec::certificate_expired);
    CHECK(render(r.error()).find("expired") != std::string::npos);
  }
  SUBCASE("wrong host name") {
    cert_request request;
    request.common_name = "other.example";
    request.dns_names = {"other.example"};
    auto [cert, key] = p.leaf("wrong-host", request);
    test::openssl_server server{cert, key};
    auto r = p.client().send(loopback(server.port()), get("/"));
    REQUIRE_FALSE(r);
    CHECK(code_of(r.error()) == ec::host_name_mismatch);
  }
  SUBCASE("signed by an unknown CA") {
    cert_request other_ca;
    other_ca.common_name = "Somebody Else's CA";
    other_ca.is_ca = true;
    auto stranger = *make_self_signed_ca(other_ca);
    auto [cert, key] = p.leaf("unknown-ca", pki::for_loopback(), &stranger);
    test::openssl_server server{cert, key};
    auto r = p.client().send(loopback(server.port()), get("/"));
    REQUIRE_FALSE(r);
    CHECK(code_of(r.error()) == ec::certificate_untrusted);
  }
  SUBCASE("a server that only speaks TLS 1.1") {
    auto [cert, key] = p.leaf("tls11", pki::for_loopback());
    test::openssl_server server{cert, key, {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}};
    auto r = p.client().send(loopback(server.port()), get("/"));
    REQUIRE_FALSE(r);
    CAPTURE(render(r.error()));
    CHECK(code_of(r.error()) == ec::tls_protocol_version);
  }
}

namespace {

/// OpenSSL's lookup name of a CA in a hashed directory: subject hash, ".0".
std::string hashed_name(const std::string& cert_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{
    BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), BIO_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert{
    PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free};
  REQUIRE(cert);
  char name[16];
  std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(cert.get()));
  return name;
}

} // namespace

TEST_CASE("https: the system trust store, from hashed directories and a bundle file") {
  pki p;
  auto server = p.echo_server();
  auto hashed = p.dir / "hashed", other = p.dir / "other", empty = p.dir / "empty";
  for (const auto& dir : {hashed, other, empty})
    std::filesystem::create_directories(dir);
  test::write_file(hashed / hashed_name(p.ca.cert_pem), p.ca.cert_pem);
  // Somebody else's CA, hashed: a directory that is in use but lacks ours.
  cert_request stranger_request;
  stranger_request.common_name = "Somebody Else's CA";
  stranger_request.is_ca = true;
  auto stranger = *make_self_signed_ca(stranger_request);
  test::write_file(other / hashed_name(stranger.cert_pem), stranger.cert_pem);
  auto empty_bundle = p.dir / "empty-bundle.pem";
  test::write_file(empty_bundle, "");
  client_options system_only; // the system store only, no CaBundle
  system_only.connect_timeout = 5000ms;
  system_only.io_timeout = 5000ms;
  auto send = [&] {
    auto client = https_client::make(system_only);
    REQUIRE(client);
    return client->send(loopback(server->port()), get("/"));
  };
  SUBCASE("a CA found by its hashed name in SSL_CERT_DIR is trusted") {
    test::scoped_environment dir{"SSL_CERT_DIR", hashed.string()};
    test::scoped_environment file{"SSL_CERT_FILE", empty_bundle.string()};
    auto r = send();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  SUBCASE("in any directory of a ':'-separated SSL_CERT_DIR") {
    test::scoped_environment dir{"SSL_CERT_DIR", other.string() + ":" + hashed.string()};
    test::scoped_environment file{"SSL_CERT_FILE", empty_bundle.string()};
    auto r = send();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  SUBCASE("a CA only in the bundle (appended without a rehash) is trusted") {
    test::scoped_environment dir{"SSL_CERT_DIR", other.string()};
    test::scoped_environment file{"SSL_CERT_FILE", p.ca_file.string()};
    auto r = send();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  SUBCASE("neither holds it: untrusted; set but empty variables name nothing") {
    test::scoped_environment dir{"SSL_CERT_DIR", ""};
    test::scoped_environment file{"SSL_CERT_FILE", ""};
    auto r = send();
    REQUIRE_FALSE(r);
    CHECK(code_of(r.error()) == ec::certificate_untrusted);
  }
  server->stop();
}

TEST_CASE("tls: a bundle whose certificates the hashed directory holds is not loaded") {
  pki p;
  auto hashed = p.dir / "hashed";
  std::filesystem::create_directories(hashed);
  test::write_file(hashed / hashed_name(p.ca.cert_pem), p.ca.cert_pem);
  test::scoped_environment dir{"SSL_CERT_DIR", hashed.string()};
  test::scoped_environment file{"SSL_CERT_FILE", p.ca_file.string()};
  // The certificates the context holds in memory (a directory lookup holds
  // none until a chain asks for one).
  auto loaded = [] {
    boost::asio::ssl::context ctx{boost::asio::ssl::context::tls_client};
    auto added = detail::trust_system_store(ctx);
    REQUIRE(added); // never fails on POSIX
    auto held = sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx.native_handle())));
    CHECK(*added == static_cast<size_t>(held)); // what it reports is what it holds
    return held;
  };
  CHECK(loaded() == 0); // covered: the bundle stays on disk
  cert_request extra_request;
  extra_request.common_name = "Appended By Hand CA";
  extra_request.is_ca = true;
  auto extra = *make_self_signed_ca(extra_request);
  test::write_file(p.ca_file, p.ca.cert_pem + extra.cert_pem);
  CHECK(loaded() == 2); // one certificate the directory lacks: the whole bundle
}

TEST_CASE("https: our server refuses TLS 1.1 clients and accepts TLS 1.2") {
  pki p;
  auto server = p.echo_server();
  auto connect = "127.0.0.1:" + std::to_string(server->port());
  auto old = test::run({"/usr/bin/openssl", "s_client", "-connect", connect, "-tls1_1", "-cipher",
                        "DEFAULT@SECLEVEL=0", "-CAfile", p.ca_file.string()});
  CAPTURE(old.out);
  CAPTURE(old.err);
  CHECK(old.exit_code != 0);
  CHECK(old.err.find("alert protocol version") != std::string::npos);
  auto modern = test::run({"/usr/bin/openssl", "s_client", "-connect", connect, "-tls1_2",
                           "-CAfile", p.ca_file.string()});
  CHECK(modern.exit_code == 0);
  CHECK(modern.out.find("Verify return code: 0 (ok)") != std::string::npos);
}

TEST_CASE("https: connection refused and timeouts are named") {
  pki p;
  auto refused = p.client().send(loopback(test::free_port()), get("/"));
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == ec::connection_refused);
  // A listener that never accepts: TCP connects (backlog), TLS never answers.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 8) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto started = std::chrono::steady_clock::now();
  auto silent = p.client(300ms).send(loopback(ntohs(addr.sin_port)), get("/"));
  auto took = std::chrono::steady_clock::now() - started;
  ::close(fd);
  REQUIRE_FALSE(silent);
  CHECK(code_of(silent.error()) == ec::timeout);
  CHECK(took < 3s);
}

// A DNS server that never answers (issue 16, item 6), in a network and mount
// namespace of the test's own (`unshare -n -m`): resolv.conf names
// 127.0.0.1, where the test holds a UDP socket it never reads, with the
// resolver's default patience (5 s, 2 attempts). The test binary runs itself
// again inside; the inner case does the work.
TEST_CASE("https: a name lookup has the connect deadline, even when the DNS server never "
          "answers") {
  if (std::getenv("VIGIL_DNS_NAMESPACE") == nullptr) {
    if (::geteuid() != 0) {
      MESSAGE("skipped: unshare -n -m needs root");
      return;
    }
    test::temp_dir outer;
    test::write_file(outer / "resolv.conf", "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n");
    test::write_file(outer / "hosts", "127.0.0.1 localhost\n::1 localhost\n");
    auto r = test::rerun_in_own_namespaces(
      "VIGIL_DNS_NAMESPACE", "https: a name lookup has the connect deadline*",
      "mount --bind " + (outer / "resolv.conf").string() + " /etc/resolv.conf; mount --bind "
        + (outer / "hosts").string() + " /etc/hosts;");
    INFO(r.out);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Status: SUCCESS") != std::string::npos);
    return;
  }
  // Inside the namespace: the DNS server that takes queries and says nothing.
  int dns = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(53);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(dns, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  pki p;
  auto target = loopback(4433, "silent.example.test");
  for (int attempt = 0; attempt < 2; ++attempt) { // the second while the first lookup lingers
    auto started = std::chrono::steady_clock::now();
    auto answer = p.client(1000ms).send(target, get("/"));
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(answer);
    CHECK(code_of(answer.error()) == ec::timeout);
    CHECK(render(answer.error()).find("cannot resolve silent.example.test: no answer within 1000 ms")
          != std::string::npos);
    // On the old code: 10 s, getaddrinfo's own patience.
    CHECK(took < 3s);
  }
  ::close(dns);
}

TEST_CASE("https through real tinyproxy instances with Basic auth") {
  pki p;
  auto server = p.echo_server();
  auto target = loopback(server->port());
  auto client = p.client();
  test::temp_dir proxies;
  test::tinyproxy live{proxies.path(), "alice", "s3cr3tPass9"};
  proxy_settings settings;
  settings.proxies = {*parse_url(live.url())};
  settings.credentials = {"alice", "s3cr3tPass9"};
  settings.credentialed = settings.proxies; // the administrator's own proxy
  settings.direct_fallback = false;

  SUBCASE("the right password goes through the proxy, over one tunnel for several requests") {
    auto r = send_with_proxies(client, target, get("/CloudAgent/status"), settings);
    REQUIRE(r);
    CHECK(r->response.status == 200);
    CHECK(r->route == live.url());
    CHECK(live.log().find("CONNECT") != std::string::npos);
    // Kept alive: the next requests take the same tunnel and TLS session.
    for (int i = 0; i < 3; ++i) {
      auto again = send_with_proxies(client, target, get("/CloudAgent/v1/profile"), settings);
      REQUIRE(again);
      CHECK(again->response.fields.get("X-Connection") == r->response.fields.get("X-Connection"));
    }
    size_t connects = 0; // tinyproxy logs each request as "Request (...): CONNECT host:port"
    auto log = live.log();
    for (auto at = log.find("): CONNECT "); at != std::string::npos;
         at = log.find("): CONNECT ", at + 1))
      ++connects;
    CHECK(connects == 1);
  }
  SUBCASE("a wrong password is a named 407") {
    settings.credentials.password = "wrong";
    auto r = send_with_proxies(client, target, get("/"), settings);
    REQUIRE_FALSE(r);
    CHECK(code_of(r.error()) == ec::proxy_auth_required);
    CHECK(render(r.error()).find("wrong") == std::string::npos);
  }
  SUBCASE("first proxy dead, second alive: through the second") {
    test::tinyproxy dead{proxies.path(), "alice", "s3cr3tPass9"};
    dead.kill();
    settings.proxies = {*parse_url(dead.url()), *parse_url(live.url())};
    auto r = send_with_proxies(client, target, get("/"), settings);
    REQUIRE(r);
    CHECK(r->route == live.url());
    REQUIRE(r->failed.size() == 1);
    CHECK(code_of(r->failed[0].error) == ec::connection_refused);
  }
  SUBCASE("all proxies dead: direct when allowed, a named error when not") {
    live.kill();
    test::tinyproxy dead{proxies.path()};
    dead.kill();
    settings.proxies = {*parse_url(live.url()), *parse_url(dead.url())};
    settings.direct_fallback = true;
    auto direct = send_with_proxies(client, target, get("/"), settings);
    REQUIRE(direct);
    CHECK(direct->route == "direct");
    CHECK(direct->failed.size() == 2);
    settings.direct_fallback = false;
    auto none = send_with_proxies(client, target, get("/"), settings);
    REQUIRE_FALSE(none);
    CHECK(code_of(none.error()) == ec::all_routes_failed);
  }
}
