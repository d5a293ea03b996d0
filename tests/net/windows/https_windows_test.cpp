// net/ on Windows, under Wine (issue 20): HTTPS between our client and server
// on 127.0.0.1 with a CA the test makes and pins (`CaBundle=`), the named
// failures, a static proxy failing over to direct, the system trust store
// read from the machine's ROOT store, and PAC's clear refusal.
#include "net/detail/system_trust.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/error.hpp"
#include "net/certificates.hpp"
#include "net/https_client.hpp"
#include "net/https_server.hpp"
#include "net/pac/evaluator.hpp"
#include "net/pac/fetch.hpp"
#include "net/proxy_chain.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

http_response echo(const http_request& request) {
  http_response response;
  response.fields.set("Content-Type", "text/plain");
  // Which connection the request came on: keep-alive shows as one number.
  response.fields.set("X-Connection", std::to_string(request.connection));
  response.body = request.method + " " + request.target + " " + request.body;
  return response;
}

/// A throwaway CA (written to ca.pem, the pinned bundle) and an echo server on
/// 127.0.0.1 with a leaf of it.
struct pki {
  test::temp_dir dir;
  key_and_cert ca;
  std::filesystem::path ca_file = dir / "ca.pem";

  pki() {
    cert_request request;
    request.common_name = "Vigil Windows Test CA";
    request.is_ca = true;
    auto made = make_self_signed_ca(request);
    REQUIRE(made);
    ca = std::move(*made);
    test::write_file(ca_file, ca.cert_pem);
  }

  /// An echo server whose certificate names `ip` (and nothing else).
  std::unique_ptr<https_server> echo_server(const std::string& ip = "127.0.0.1") {
    cert_request request;
    request.ip_addresses = {ip};
    auto leaf = make_signed_cert(request, ca);
    REQUIRE(leaf);
    test::write_file(dir / "server.pem", leaf->cert_pem + ca.cert_pem);
    test::write_file(dir / "server.key", leaf->key_pem);
    server_options options;
    options.certificate_chain = dir / "server.pem";
    options.private_key = dir / "server.key";
    options.max_body_bytes = 1024;
    auto server = https_server::start(options, echo);
    REQUIRE(server);
    return std::move(*server);
  }

  /// A client that trusts the system store and, pinned, this CA.
  https_client client(bool pinned = true, std::chrono::milliseconds timeout = 5000ms) const {
    client_options options;
    if (pinned)
      options.trust.ca_bundle = ca_file;
    options.connect_timeout = timeout;
    options.io_timeout = timeout;
    auto made = https_client::make(options);
    REQUIRE(made);
    return *made;
  }
};

url loopback(uint16_t port, const std::string& path = "/CloudAgent/") {
  auto parsed = parse_url("https://127.0.0.1:" + std::to_string(port) + path);
  REQUIRE(parsed);
  return *parsed;
}

http_request get(std::string target) {
  http_request request;
  request.target = std::move(target);
  return request;
}

/// A loopback port nothing listens on: bound, then released.
uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  return acceptor.local_endpoint().port();
}

} // namespace

TEST_CASE("https on Windows: client and server talk over TLS trusted by the pinned CA") {
  pki p;
  auto server = p.echo_server();
  auto client = p.client();
  http_request post;
  post.method = "POST";
  post.target = "/CloudAgent/v1/checkin";
  post.body = "hello";
  auto response = client.send(loopback(server->port()), post);
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "POST /CloudAgent/v1/checkin hello");
  // Kept alive: the next request rides the same connection (one handshake).
  auto second = client.send(loopback(server->port()), get("/second"));
  REQUIRE(second);
  CHECK(second->body == "GET /second ");
  CHECK(second->fields.get("X-Connection") == response->fields.get("X-Connection"));
  // An oversized body gets 413, and the server keeps serving.
  post.body.assign(4096, 'x');
  auto big = client.send(loopback(server->port()), post);
  REQUIRE(big);
  CHECK(big->status == 413);
  auto after = client.send(loopback(server->port()), get("/after"));
  REQUIRE(after);
  CHECK(after->status == 200);
  server->stop();
  auto gone = client.send(loopback(server->port()), get("/"));
  REQUIRE_FALSE(gone);
  CAPTURE(render(gone.error()));
  CHECK(code_of(gone.error()) == ec::connection_refused);
}

TEST_CASE("https on Windows: an unpinned CA and a wrong address are refused by name") {
  pki p;
  SUBCASE("the system store alone does not know the test's CA") {
    auto server = p.echo_server();
    auto refused = p.client(false).send(loopback(server->port()), get("/"));
    REQUIRE_FALSE(refused);
    CAPTURE(render(refused.error()));
    CHECK(code_of(refused.error()) == ec::certificate_untrusted);
  }
  SUBCASE("a certificate for another address") {
    auto server = p.echo_server("127.0.0.2");
    auto refused = p.client().send(loopback(server->port()), get("/"));
    REQUIRE_FALSE(refused);
    CAPTURE(render(refused.error()));
    CHECK(code_of(refused.error()) == ec::host_name_mismatch);
  }
}

TEST_CASE("https on Windows: connection refused and a silent listener are named") {
  pki p;
  auto refused = p.client().send(loopback(closed_port()), get("/"));
  REQUIRE_FALSE(refused);
  CAPTURE(render(refused.error()));
  CHECK(code_of(refused.error()) == ec::connection_refused);
  // A listener that never accepts: TCP connects (backlog), TLS never answers.
  asio::io_context io;
  asio::ip::tcp::acceptor silent_listener{io, {asio::ip::make_address("127.0.0.1"), 0}};
  auto started = std::chrono::steady_clock::now();
  auto silent =
    p.client(true, 300ms).send(loopback(silent_listener.local_endpoint().port()), get("/"));
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(silent);
  CAPTURE(render(silent.error()));
  CHECK(code_of(silent.error()) == ec::timeout);
  CHECK(took < 3s);
}

TEST_CASE("https on Windows: a static proxy that fails gives way to direct") {
  pki p;
  auto server = p.echo_server();
  auto client = p.client();
  proxy_settings settings;
  auto dead = parse_url("http://127.0.0.1:" + std::to_string(closed_port()));
  REQUIRE(dead);
  settings.proxies = {*dead};
  std::vector<route_attempt> attempts;
  auto routed = send_with_proxies(client, loopback(server->port()), get("/via"), settings,
                                  &attempts);
  REQUIRE(routed);
  CHECK(routed->route == "direct");
  CHECK(routed->response.body == "GET /via ");
  REQUIRE(attempts.size() == 1);
  CHECK(code_of(attempts.front().error) == ec::connection_refused);
  settings.direct_fallback = false;
  auto stuck = send_with_proxies(client, loopback(server->port()), get("/via"), settings);
  REQUIRE_FALSE(stuck);
  CAPTURE(render(stuck.error()));
  CHECK(code_of(stuck.error()) == ec::connection_refused);
}

TEST_CASE("tls on Windows: the system trust store is read from the machine's certificate stores") {
  boost::asio::ssl::context ctx{boost::asio::ssl::context::tls_client};
  auto added = detail::trust_system_store(ctx);
  REQUIRE(added);
  // The count is the system's: Wine 8 fills the machine's ROOT store from
  // the host's CA certificates (149 here: Debian's 144 and Wine's own
  // roots, its CA store empty, no Disallowed store), Windows from its own
  // list. Both always hold some.
  MESSAGE("certificates loaded from the ROOT and CA stores: " << *added);
  CHECK(*added > 0);
  auto held = sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx.native_handle())));
  CHECK(static_cast<size_t>(held) <= *added);
}

TEST_CASE("pac on Windows: evaluating a script is refused with a clear error") {
  pac_request request;
  request.script_text = "function FindProxyForURL(url, host) { return 'DIRECT'; }";
  request.url = "https://platform.example/";
  request.program = default_pac_program();
  CHECK(request.program.filename() == "vigil-pac.exe");
  auto one = evaluate_pac(request);
  REQUIRE_FALSE(one);
  CHECK(code_of(one.error()) == ec::unsupported);
  CHECK(context_of(one.error()).find("PAC scripts are not supported in the Windows build yet")
        != std::string::npos);
  auto batch = evaluate_pac_batch(request, {{"https://a.example/", ""}});
  REQUIRE_FALSE(batch);
  CHECK(code_of(batch.error()) == ec::unsupported);
}

TEST_CASE("pac on Windows: a PAC file still downloads, from disk and over https") {
  pki p;
  auto script = std::string{"function FindProxyForURL(url, host) { return 'DIRECT'; }"};
  test::write_file(p.dir / "proxy.pac", script);
  auto local = fetch_pac((p.dir / "proxy.pac").string());
  REQUIRE(local);
  CHECK(*local == script);
  auto server = p.echo_server();
  pac_fetch_options options;
  options.trust.ca_bundle = p.ca_file;
  auto remote = fetch_pac(loopback(server->port(), "/wpad.dat").to_string(), options);
  REQUIRE(remote);
  CHECK(*remote == "GET /wpad.dat ");
}
