#include "net/https_client.hpp"

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
#include <functional>
#include <mutex>
#include <openssl/evp.h>
#include <vector>
#include <openssl/x509v3.h>

#include "common/error.hpp"
#include "host/logging.hpp"
#include "net/detail/name_lookup.hpp"
#include "net/detail/system_trust.hpp"
#include "net/detail/tls.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace vigil {

namespace {

/// One connection, kept between requests: its own io_context (a send runs it
/// on the calling thread, so concurrent sends never share one) and the stream
/// on it, plain for http, TLS (over a CONNECT tunnel through a proxy) for
/// https.
struct connection {
  asio::io_context io{1};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  std::chrono::steady_clock::time_point idle_since;
  std::string key; ///< the server, proxy and credentials it was opened for

  beast::tcp_stream& lowest() {
    return tls ? beast::get_lowest_layer(*tls) : *plain;
  }
};

} // namespace

struct https_client::impl {
  client_options options;
  mutable asio::ssl::context tls{asio::ssl::context::tls_client};
  mutable std::mutex idle_mutex;
  /// Open connections waiting for a request, oldest first.
  mutable std::vector<std::unique_ptr<connection>> idle;

  /// Closes the connections idle for `keep_alive` or longer (all with
  /// `all`). Called with `idle_mutex` held.
  void close_expired(bool all) const {
    auto now = std::chrono::steady_clock::now();
    std::erase_if(idle, [&](const auto& c) {
      return all || now - c->idle_since >= options.keep_alive;
    });
  }

  /// An open connection for `key` kept less than `keep_alive` ago, if any;
  /// expired ones are closed on the way.
  std::unique_ptr<connection> take_idle(const std::string& key) const {
    std::lock_guard guard{idle_mutex};
    close_expired(false);
    for (auto it = idle.rbegin(); it != idle.rend(); ++it)
      if ((*it)->key == key) {
        auto found = std::move(*it);
        idle.erase(std::next(it).base());
        return found;
      }
    return nullptr;
  }

  /// Keeps `c` for the next request, closing the oldest beyond the limit.
  void keep(std::unique_ptr<connection> c) const {
    if (options.keep_alive.count() <= 0 || options.max_idle_connections == 0)
      return;
    c->idle_since = std::chrono::steady_clock::now();
    std::lock_guard guard{idle_mutex};
    idle.push_back(std::move(c));
    while (idle.size() > options.max_idle_connections)
      idle.erase(idle.begin());
  }
};

namespace {

using result_type = caf::expected<http_response>;

/// What one request on a connection gave: the response or the failure,
/// whether the connection may carry another request, and whether it failed
/// because the peer had closed it before answering (a kept connection the
/// server timed out: the request goes again on a new one).
struct exchange_result {
  result_type response;
  bool keep_alive = false;
  bool peer_closed = false;
};

/// Whether `error` says the peer closed the connection.
bool closed_by_peer(const error_code& error) {
  return error == http::error::end_of_stream || error == asio::error::eof
         || error == asio::error::connection_reset || error == asio::error::broken_pipe
         || error == asio::ssl::error::stream_truncated;
}

auto awaitable_into(error_code& error) {
  return asio::redirect_error(asio::use_awaitable, error);
}

/// Names a failure to reach `hop` (the server, or the proxy in front of it).
caf::error connect_failure(const error_code& error, const std::string& hop,
                           std::chrono::milliseconds timeout) {
  if (error == beast::error::timeout)
    return make_error(ec::timeout, "connecting to " + hop + " timed out after "
                                     + std::to_string(timeout.count()) + " ms");
  if (error == asio::error::connection_refused)
    return make_error(ec::connection_refused, "connection to " + hop + " refused");
  return make_error(ec::network_error, "cannot connect to " + hop + ": " + error.message());
}

caf::error io_failure(const error_code& error, const std::string& peer, std::string_view what) {
  if (error == beast::error::timeout)
    return make_error(ec::timeout, std::string{what} + " " + peer + " timed out");
  if (error == http::error::body_limit)
    return make_error(ec::too_large, "the response from " + peer + " exceeds the size limit");
  return make_error(ec::network_error, std::string{what} + " " + peer + " failed: " + error.message());
}

http::request<http::string_body> to_beast(const http_request& in, const std::string& host,
                                          const std::string& user_agent) {
  http::request<http::string_body> out;
  out.method_string(in.method);
  out.target(in.target);
  out.version(11);
  for (auto& [name, value] : in.fields.entries)
    out.insert(name, value);
  if (!in.fields.has("Host"))
    out.set(http::field::host, host);
  if (!in.fields.has("User-Agent"))
    out.set(http::field::user_agent, user_agent);
  out.body() = in.body;
  out.prepare_payload();
  return out;
}

http_response from_beast(http::response<http::string_body>&& in) {
  http_response out;
  out.status = in.result_int();
  for (auto& field : in)
    out.fields.entries.emplace_back(std::string{field.name_string()}, std::string{field.value()});
  out.body = std::move(in.body());
  return out;
}

/// Writes `request` and reads the response on any stream.
template <class Stream>
asio::awaitable<exchange_result> exchange(Stream& stream, beast::tcp_stream& lowest,
                                          http::request<http::string_body> request,
                                          const client_options& options, std::size_t body_limit,
                                          const std::string& peer) {
  error_code error;
  lowest.expires_after(options.io_timeout);
  co_await http::async_write(stream, request, awaitable_into(error));
  if (error)
    co_return exchange_result{io_failure(error, peer, "sending to"), false,
                              error != beast::error::timeout};
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit);
  lowest.expires_after(options.io_timeout);
  co_await http::async_read(stream, buffer, parser, awaitable_into(error));
  if (error)
    co_return exchange_result{io_failure(error, peer, "reading the response from"), false,
                              closed_by_peer(error) && !parser.got_some()};
  // Boost 1.74's parser does not always apply body_limit to a body whose
  // Content-Length arrived with the header in one read; the cap is a promise
  // to callers, so it is checked again here.
  if (parser.get().body().size() > body_limit)
    co_return exchange_result{
      io_failure(http::error::body_limit, peer, "reading the response from")};
  bool keep_alive = parser.get().keep_alive();
  co_return exchange_result{from_beast(parser.release()), keep_alive};
}

/// Asks `proxy` to open a tunnel to `server` (HTTP CONNECT).
asio::awaitable<caf::error> open_tunnel(beast::tcp_stream& stream, const url& server,
                                        const url& proxy, const proxy_credentials& credentials,
                                        const client_options& options) {
  http::request<http::empty_body> connect{http::verb::connect, server.authority(), 11};
  connect.set(http::field::host, server.authority());
  connect.set(http::field::user_agent, options.user_agent);
  if (!credentials.empty())
    connect.set(http::field::proxy_authorization, basic_authorization(credentials));
  error_code error;
  stream.expires_after(options.io_timeout);
  co_await http::async_write(stream, connect, awaitable_into(error));
  if (error)
    co_return io_failure(error, "proxy " + proxy.to_string(), "sending CONNECT to");
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.skip(true); // a CONNECT answer has no body we need
  stream.expires_after(options.io_timeout);
  co_await http::async_read_header(stream, buffer, parser, awaitable_into(error));
  if (error)
    co_return io_failure(error, "proxy " + proxy.to_string(), "reading the CONNECT answer from");
  auto status = parser.get().result_int();
  auto reason = std::string{parser.get().reason()};
  // 407 is the standard answer; some proxies (tinyproxy) answer 401 to
  // credentials they reject. Both mean the proxy wants other credentials.
  if (status == 407 || status == 401)
    co_return make_error(ec::proxy_auth_required,
                         "proxy " + proxy.to_string() + " answered " + std::to_string(status)
                           + " " + reason
                           + (credentials.empty() ? " (no credentials configured)"
                                                  : " (credentials rejected)"));
  if (status / 100 != 2)
    co_return make_error(ec::proxy_refused, "proxy " + proxy.to_string() + " refused CONNECT "
                                              + server.authority() + ": " + std::to_string(status)
                                              + " " + reason);
  co_return caf::error{};
}

/// The connection `server` (through `proxy`, with `credentials`) may share.
std::string connection_key(const url& server, const std::optional<url>& proxy,
                           const proxy_credentials& credentials) {
  return server.scheme + "://" + server.authority() + "\n" + (proxy ? proxy->to_string() : "")
         + "\n" + credentials.username + "\n" + credentials.password;
}

/// What errors name the server as (and the proxy in front of it).
std::string peer_name(const url& server, const std::optional<url>& proxy) {
  return server.to_string() + (proxy ? " (through proxy " + proxy->to_string() + ")" : "");
}

/// Opens `c` to `server`: resolves and connects to the first hop, asks a
/// proxy for a tunnel (https), and does the TLS handshake (https).
asio::awaitable<caf::error> open_connection(const https_client::impl& self, connection& c,
                                            const url& server, const std::optional<url>& proxy,
                                            const proxy_credentials& credentials) {
  auto executor = co_await asio::this_coro::executor;
  const auto& options = self.options;
  const url& hop = proxy ? *proxy : server;
  auto hop_name = proxy ? "proxy " + proxy->to_string() : server.to_string();
  error_code error;
  // An address needs no lookup: no resolver (Asio starts a thread for one).
  std::vector<tcp::endpoint> endpoints;
  if (auto address = asio::ip::make_address(hop.host, error); !error) {
    endpoints.emplace_back(address, hop.port);
  } else {
    // With the connect's deadline (issue 16, item 6): Asio's resolver waits
    // out a silent DNS server for as long as getaddrinfo does. Blocking here
    // holds only this connection's own io_context, run by the caller.
    auto found = detail::lookup_within(hop.host, hop.port, options.connect_timeout);
    if (!found)
      co_return make_error(code_of(found.error()),
                           (proxy ? "proxy " + proxy->to_string() + ": " : "")
                             + context_of(found.error()));
    endpoints = std::move(*found);
  }
  beast::tcp_stream stream{executor};
  stream.expires_after(options.connect_timeout);
  co_await stream.async_connect(endpoints, awaitable_into(error));
  if (error)
    co_return connect_failure(error, hop_name, options.connect_timeout);
  if (server.scheme == "http") {
    c.plain.emplace(std::move(stream));
    co_return caf::error{};
  }
  if (proxy) {
    if (auto failed = co_await open_tunnel(stream, server, *proxy, credentials, options))
      co_return failed;
  }
  auto& tls = c.tls.emplace(std::move(stream), self.tls);
  auto* ssl = tls.native_handle();
  if (server.host_is_ip()) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, server.host.c_str());
    SSL_set1_host(ssl, server.host.c_str());
  }
  beast::get_lowest_layer(tls).expires_after(options.connect_timeout);
  co_await tls.async_handshake(asio::ssl::stream_base::client, awaitable_into(error));
  if (error)
    co_return detail::classify_handshake_failure(error, ssl, peer_name(server, proxy));
  co_return caf::error{};
}

/// Sends `request` on the open connection `c`. No TLS close_notify round
/// trip after the response: a connection not kept is simply closed.
asio::awaitable<exchange_result> send_on(const https_client::impl& self, connection& c,
                                         const url& server, http_request request,
                                         const std::optional<url>& proxy,
                                         const proxy_credentials& credentials) {
  const auto& options = self.options;
  auto body_limit = request.response_limit == 0
                      ? options.max_response_bytes
                      : std::min(request.response_limit, options.max_response_bytes);
  if (c.plain) {
    if (proxy) {
      // A proxy takes plain http requests in absolute form.
      request.target = "http://" + server.authority() + request.target;
      if (!credentials.empty())
        request.fields.set("Proxy-Authorization", basic_authorization(credentials));
    }
    co_return co_await exchange(*c.plain, *c.plain,
                                to_beast(request, server.authority(), options.user_agent),
                                options, body_limit, server.to_string());
  }
  co_return co_await exchange(*c.tls, c.lowest(),
                              to_beast(request, server.authority(), options.user_agent), options,
                              body_limit, peer_name(server, proxy));
}

/// Runs `task` on `c`'s io_context to its end, on the calling thread.
exchange_result run_on(connection& c, const url& server,
                       std::function<asio::awaitable<exchange_result>()> task) {
  std::optional<exchange_result> result;
  asio::co_spawn(
    c.io, [&]() -> asio::awaitable<void> { result = co_await task(); },
    [&](std::exception_ptr failure) {
      if (failure && !result) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          result = exchange_result{make_error(
            ec::network_error, "request to " + server.to_string() + " failed: " + e.what())};
        }
      }
    });
  c.io.restart();
  c.io.run();
  if (!result)
    return exchange_result{
      make_error(ec::network_error, "request to " + server.to_string() + " did not finish")};
  return std::move(*result);
}

} // namespace

caf::expected<https_client> https_client::make(client_options options) {
  auto state = std::make_shared<impl>();
  state->options = std::move(options);
  detail::require_tls12(state->tls);
  state->tls.set_verify_mode(asio::ssl::verify_peer);
  error_code error;
  if (state->options.trust.use_system_store) {
    // A system store that cannot be read trusts nothing, like a missing one:
    // the CA bundle may be all the agent needs, and every handshake the
    // system store would have vouched for fails as untrusted, named.
    if (auto trusted = detail::trust_system_store(state->tls); !trusted)
      module_logger(log_module::network)
        ->warn("the system trust store is not used: {}", render(trusted.error()));
  }
  if (auto& bundle = state->options.trust.ca_bundle) {
    state->tls.load_verify_file(bundle->string(), error);
    if (error)
      return make_error(ec::tls_error, "cannot load the CA bundle " + bundle->string() + ": "
                                         + error.message() + " "
                                         + detail::drain_openssl_errors());
  }
  return https_client{std::move(state)};
}

https_client::https_client(std::shared_ptr<const impl> state) : impl_{std::move(state)} {
}

const client_options& https_client::options() const {
  return impl_->options;
}

std::size_t https_client::close_idle(bool all) const {
  std::lock_guard guard{impl_->idle_mutex};
  impl_->close_expired(all);
  return impl_->idle.size();
}

caf::expected<http_response> https_client::send(const url& server, http_request request,
                                                const std::optional<url>& proxy,
                                                const proxy_credentials& credentials) const {
  const auto& self = *impl_;
  auto key = connection_key(server, proxy, credentials);
  if (auto kept = self.take_idle(key)) {
    auto result = run_on(*kept, server, [&]() -> asio::awaitable<exchange_result> {
      co_return co_await send_on(self, *kept, server, request, proxy, credentials);
    });
    if (!result.peer_closed) {
      if (result.response && result.keep_alive)
        self.keep(std::move(kept));
      return std::move(result.response);
    }
    // The server closed the kept connection before answering (its idle
    // timeout, a restart): the request never reached it; a new connection.
  }
  auto fresh = std::make_unique<connection>();
  fresh->key = key;
  auto result = run_on(*fresh, server, [&]() -> asio::awaitable<exchange_result> {
    if (auto failed = co_await open_connection(self, *fresh, server, proxy, credentials))
      co_return exchange_result{std::move(failed)};
    co_return co_await send_on(self, *fresh, server, std::move(request), proxy, credentials);
  });
  if (result.response && result.keep_alive)
    self.keep(std::move(fresh));
  return std::move(result.response);
}

std::string basic_authorization(const proxy_credentials& credentials) {
  auto plain = credentials.username + ":" + credentials.password;
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                           reinterpret_cast<const unsigned char*>(plain.data()),
                           static_cast<int>(plain.size()));
  encoded.resize(static_cast<size_t>(n));
  return "Basic " + encoded;
}

} // namespace vigil
