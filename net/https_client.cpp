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
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "common/error.hpp"
#include "net/detail/tls.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace vigil {

struct https_client::impl {
  client_options options;
  mutable asio::ssl::context tls{asio::ssl::context::tls_client};
};

namespace {

using result_type = caf::expected<http_response>;

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
asio::awaitable<result_type> exchange(Stream& stream, beast::tcp_stream& lowest,
                                      http::request<http::string_body> request,
                                      const client_options& options, std::size_t body_limit,
                                      const std::string& peer) {
  error_code error;
  lowest.expires_after(options.io_timeout);
  co_await http::async_write(stream, request, awaitable_into(error));
  if (error)
    co_return io_failure(error, peer, "sending to");
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit);
  lowest.expires_after(options.io_timeout);
  co_await http::async_read(stream, buffer, parser, awaitable_into(error));
  if (error)
    co_return io_failure(error, peer, "reading the response from");
  // Boost 1.74's parser does not always apply body_limit to a body whose
  // Content-Length arrived with the header in one read; the cap is a promise
  // to callers, so it is checked again here.
  if (parser.get().body().size() > body_limit)
    co_return io_failure(http::error::body_limit, peer, "reading the response from");
  co_return from_beast(parser.release());
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

asio::awaitable<result_type> run_request(const https_client::impl& self, url server,
                                         http_request request, std::optional<url> proxy,
                                         proxy_credentials credentials) {
  auto executor = co_await asio::this_coro::executor;
  const auto& options = self.options;
  auto body_limit = request.response_limit == 0
                      ? options.max_response_bytes
                      : std::min(request.response_limit, options.max_response_bytes);
  const url& hop = proxy ? *proxy : server;
  auto hop_name = proxy ? "proxy " + proxy->to_string() : server.to_string();
  error_code error;
  tcp::resolver resolver{executor};
  auto endpoints = co_await resolver.async_resolve(hop.host, std::to_string(hop.port),
                                                   awaitable_into(error));
  if (error)
    co_return make_error(ec::network_error,
                         "cannot resolve " + hop_name + ": " + error.message());
  beast::tcp_stream stream{executor};
  stream.expires_after(options.connect_timeout);
  co_await stream.async_connect(endpoints, awaitable_into(error));
  if (error)
    co_return connect_failure(error, hop_name, options.connect_timeout);
  if (server.scheme == "http") {
    if (proxy) {
      // A proxy takes plain http requests in absolute form.
      request.target = "http://" + server.authority() + request.target;
      if (!credentials.empty())
        request.fields.set("Proxy-Authorization", basic_authorization(credentials));
    }
    co_return co_await exchange(stream, stream,
                                to_beast(request, server.authority(), options.user_agent),
                                options, body_limit, server.to_string());
  }
  if (proxy) {
    if (auto failed = co_await open_tunnel(stream, server, *proxy, credentials, options))
      co_return failed;
  }
  beast::ssl_stream<beast::tcp_stream> tls{std::move(stream), self.tls};
  auto* ssl = tls.native_handle();
  if (server.host_is_ip()) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, server.host.c_str());
    SSL_set1_host(ssl, server.host.c_str());
  }
  auto peer = server.to_string() + (proxy ? " (through proxy " + proxy->to_string() + ")" : "");
  beast::get_lowest_layer(tls).expires_after(options.connect_timeout);
  co_await tls.async_handshake(asio::ssl::stream_base::client, awaitable_into(error));
  if (error)
    co_return detail::classify_handshake_failure(error, ssl, peer);
  auto response = co_await exchange(tls, beast::get_lowest_layer(tls),
                                    to_beast(request, server.authority(), options.user_agent),
                                    options, body_limit, peer);
  // No TLS close_notify round trip: the response is complete, and waiting on
  // a slow peer's shutdown would only add latency.
  co_return response;
}

} // namespace

caf::expected<https_client> https_client::make(client_options options) {
  auto state = std::make_shared<impl>();
  state->options = std::move(options);
  detail::require_tls12(state->tls);
  state->tls.set_verify_mode(asio::ssl::verify_peer);
  error_code error;
  if (state->options.trust.use_system_store)
    detail::trust_system_store(state->tls);
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

caf::expected<http_response> https_client::send(const url& server, http_request request,
                                                const std::optional<url>& proxy,
                                                const proxy_credentials& credentials) const {
  asio::io_context io{1};
  std::optional<result_type> result;
  asio::co_spawn(
    io,
    [&]() -> asio::awaitable<void> {
      result = co_await run_request(*impl_, server, std::move(request), proxy, credentials);
    },
    [&](std::exception_ptr failure) {
      if (failure && !result) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          result = make_error(ec::network_error,
                              "request to " + server.to_string() + " failed: " + e.what());
        }
      }
    });
  io.run();
  if (!result)
    return make_error(ec::network_error, "request to " + server.to_string() + " did not finish");
  return std::move(*result);
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
