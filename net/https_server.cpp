#include "net/https_server.hpp"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <set>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "net/detail/listener.hpp"
#include "net/detail/tls.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace vigil {

/// One thread's share of the server: its own io_context and its own acceptor
/// on the shared port (SO_REUSEPORT, detail/listener.hpp), so the kernel
/// spreads connections over threads and no request ever crosses threads (no
/// cross-thread wake-ups).
struct server_shard {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  /// Kept-alive connections waiting for their next request (touched on this
  /// shard's thread only): `stop` closes them, so that a client holding one
  /// learns at once that the server is gone instead of waiting for an answer.
  std::set<beast::tcp_stream*> waiting;
};

struct https_server::impl {
  server_options options;
  http_handler handler;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  uint16_t port = 0;
  std::vector<std::unique_ptr<server_shard>> shards;
  std::atomic<int> in_flight{0};
  /// Connections accepted so far: each request carries its connection's
  /// number (`http_request::connection`), so logs show how many handshakes
  /// a client's requests took.
  std::atomic<uint64_t> connections{0};
  std::atomic<bool> stopping{false};
  bool stopped = false;
};

namespace {

auto awaitable_into(error_code& error) {
  return asio::redirect_error(asio::use_awaitable, error);
}

http_request from_beast(http::request<http::string_body>&& in) {
  http_request out;
  out.method = std::string{in.method_string()};
  out.target = std::string{in.target()};
  for (auto& field : in)
    out.fields.entries.emplace_back(std::string{field.name_string()}, std::string{field.value()});
  out.body = std::move(in.body());
  return out;
}

http::response<http::string_body> to_beast(http_response&& in, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(in.status), 11};
  for (auto& [name, value] : in.fields.entries)
    out.insert(name, value);
  if (!in.fields.has("Content-Type") && !in.body.empty())
    out.set(http::field::content_type, "application/json");
  out.body() = std::move(in.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

http::response<http::string_body> plain_error(unsigned status, std::string code,
                                              std::string message) {
  http_response r;
  r.status = status;
  r.body = R"({"error":{"code":")" + code + R"(","message":")" + message + R"("}})";
  return to_beast(std::move(r), false);
}

/// Serves one connection: handshake, then requests until the client closes,
/// the idle timeout passes, or the server stops.
asio::awaitable<void> serve_connection(https_server::impl& self, server_shard& shard,
                                       tcp::socket socket) {
  beast::ssl_stream<beast::tcp_stream> stream{beast::tcp_stream{std::move(socket)}, self.tls};
  auto& lowest = beast::get_lowest_layer(stream);
  error_code error;
  lowest.expires_after(self.options.idle_timeout);
  co_await stream.async_handshake(asio::ssl::stream_base::server, awaitable_into(error));
  if (error)
    co_return;
  auto number = ++self.connections;
  beast::flat_buffer buffer;
  while (!self.stopping) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(self.options.max_body_bytes);
    parser.header_limit(64 * 1024);
    lowest.expires_after(self.options.idle_timeout);
    shard.waiting.insert(&lowest);
    co_await http::async_read(stream, buffer, parser, awaitable_into(error));
    shard.waiting.erase(&lowest);
    if (error == http::error::end_of_stream || error == asio::error::eof
        || error == beast::error::timeout || error == asio::ssl::error::stream_truncated
        || error == asio::error::connection_reset || error == asio::error::operation_aborted)
      co_return;
    if (error) {
      auto answer = error == http::error::body_limit
                      ? plain_error(413, "too_large", "the request body exceeds the limit")
                      : plain_error(400, "invalid_request", "malformed HTTP request");
      lowest.expires_after(self.options.idle_timeout);
      co_await http::async_write(stream, answer, awaitable_into(error));
      co_return;
    }
    bool keep_alive = parser.get().keep_alive();
    ++self.in_flight;
    http_response response;
    try {
      auto request = from_beast(parser.release());
      request.connection = number;
      response = self.handler(std::move(request));
    } catch (const std::exception& e) {
      response.status = 500;
      response.body = R"({"error":{"code":"internal","message":"internal error"}})";
    }
    auto answer = to_beast(std::move(response), keep_alive && !self.stopping);
    lowest.expires_after(self.options.idle_timeout);
    co_await http::async_write(stream, answer, awaitable_into(error));
    --self.in_flight;
    if (error || !answer.keep_alive())
      break;
  }
  lowest.expires_after(std::chrono::seconds{1});
  co_await stream.async_shutdown(awaitable_into(error));
}

asio::awaitable<void> accept_loop(https_server::impl& self, server_shard& shard) {
  for (;;) {
    error_code error;
    auto socket = co_await shard.acceptor.async_accept(awaitable_into(error));
    if (error == asio::error::operation_aborted || !shard.acceptor.is_open())
      co_return;
    if (error)
      continue; // e.g. EMFILE: keep serving the connections we have
    asio::co_spawn(shard.io, serve_connection(self, shard, std::move(socket)), asio::detached);
  }
}

} // namespace

caf::expected<std::unique_ptr<https_server>> https_server::start(server_options options,
                                                                 http_handler handler) {
  auto state = std::make_unique<impl>();
  state->options = std::move(options);
  state->handler = std::move(handler);
  auto& tls = state->tls;
  detail::require_tls12(tls);
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2
                  | asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  error_code error;
  tls.use_certificate_chain_file(state->options.certificate_chain.string(), error);
  if (error)
    return make_error(ec::tls_error, "cannot load the certificate chain "
                                       + state->options.certificate_chain.string() + ": "
                                       + error.message());
  tls.use_private_key_file(state->options.private_key.string(), asio::ssl::context::pem, error);
  if (error)
    return make_error(ec::tls_error, "cannot load the private key "
                                       + state->options.private_key.string() + ": "
                                       + error.message());
  auto address = asio::ip::make_address(state->options.listen_host, error);
  if (error)
    return make_error(ec::invalid_argument,
                      "invalid listen address '" + state->options.listen_host + "'");
  tcp::endpoint endpoint{address, state->options.port};
  auto threads = detail::can_share_port() ? std::max(1u, state->options.threads) : 1u;
  for (unsigned i = 0; i < threads; ++i) {
    auto shard = std::make_unique<server_shard>();
    auto& acceptor = shard->acceptor;
    acceptor.open(endpoint.protocol(), error);
    if (!error)
      detail::prepare_listener(acceptor, threads > 1, error);
    if (!error)
      acceptor.bind(endpoint, error);
    if (!error)
      acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error)
      return make_error(error == asio::error::address_in_use ? ec::busy : ec::network_error,
                        "cannot listen on " + state->options.listen_host + ":"
                          + std::to_string(endpoint.port()) + ": " + error.message());
    // Port 0: every further shard binds the port the first one got.
    endpoint.port(acceptor.local_endpoint().port());
    state->shards.push_back(std::move(shard));
  }
  state->port = endpoint.port();
  for (auto& shard : state->shards) {
    asio::co_spawn(shard->io, accept_loop(*state, *shard), asio::detached);
    shard->thread = std::thread{[io = &shard->io] { io->run(); }};
  }
  return std::unique_ptr<https_server>{new https_server{std::move(state)}};
}

https_server::https_server(std::unique_ptr<impl> state) : impl_{std::move(state)} {
}

https_server::~https_server() {
  stop();
}

uint16_t https_server::port() const noexcept {
  return impl_->port;
}

void https_server::stop(std::chrono::milliseconds grace) {
  if (impl_->stopped)
    return;
  impl_->stopped = true;
  impl_->stopping = true;
  for (auto& shard : impl_->shards)
    asio::post(shard->io, [s = shard.get()] {
      error_code ignored;
      s->acceptor.close(ignored);
      // Idle kept-alive connections end now; one whose request is being
      // read or answered ends after its response (`stopping`).
      for (auto* waiting : s->waiting)
        waiting->close();
      s->waiting.clear();
    });
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (impl_->in_flight > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  for (auto& shard : impl_->shards) {
    shard->io.stop();
    shard->thread.join();
    // The posted close may not have run before stop(); the port must refuse
    // connections from here on either way.
    error_code ignored;
    shard->acceptor.close(ignored);
    for (auto* waiting : shard->waiting)
      waiting->close();
    shard->waiting.clear();
  }
}

} // namespace vigil
