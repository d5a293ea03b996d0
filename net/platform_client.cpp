#include "net/platform_client.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "protocol/endpoints.hpp"
#include "protocol/error_response.hpp"
#include "protocol/headers.hpp"
#include "protocol/sha256.hpp"

namespace vigil {

namespace {

template <class T>
caf::expected<T> parse_answer(const http_response& response) {
  return protocol::parse_body<T>(response.body);
}

} // namespace

platform_client::platform_client(https_client client, url base, proxy_settings proxies)
  : client_{std::move(client)}, base_{std::move(base)}, proxies_{std::move(proxies)} {
}

void platform_client::set_credentials(std::string host_id, std::string token) {
  host_id_ = std::move(host_id);
  token_ = std::move(token);
}

void platform_client::set_proxies(proxy_settings proxies) {
  proxies_ = std::move(proxies);
}

void platform_client::set_base(url base) {
  base_ = std::move(base);
}

caf::expected<http_response> platform_client::send(std::string method, std::string target,
                                                   std::string body, http_fields fields,
                                                   std::size_t response_limit) {
  http_request request;
  request.response_limit = response_limit;
  request.method = std::move(method);
  request.target = std::move(target);
  request.body = std::move(body);
  request.fields = std::move(fields);
  request.fields.set(std::string{protocol::header_protocol},
                     std::to_string(protocol::protocol_version));
  if (!request.body.empty() && !request.fields.has("Content-Type"))
    request.fields.set("Content-Type", std::string{protocol::content_type_json});
  if (!host_id_.empty()) {
    request.fields.set(std::string{protocol::header_host_id}, host_id_);
    request.fields.set(std::string{protocol::header_authorization}, protocol::bearer(token_));
  }
  last_failures_.clear();
  auto routed = send_with_proxies(client_, base_, request, proxies_, &last_failures_);
  if (!routed)
    return routed.error();
  last_route_ = routed->route;
  return std::move(routed->response);
}

caf::expected<http_response> platform_client::request(http_request request) {
  return send(std::move(request.method), join_target(base_, request.target),
              std::move(request.body), std::move(request.fields), request.response_limit);
}

caf::error platform_client::platform_error(const http_response& response) const {
  return protocol::error_of_answer(static_cast<int>(response.status), response.body);
}

caf::expected<protocol::status_response> platform_client::status() {
  auto r = send("GET", protocol::endpoint_status(base_.target), {});
  if (!r)
    return r.error();
  if (r->status != 200)
    return platform_error(*r);
  return parse_answer<protocol::status_response>(*r);
}

caf::expected<protocol::provision_response>
platform_client::provision(const protocol::provision_request& request) {
  auto r = send("POST", protocol::endpoint_provision(base_.target), protocol::to_body(request));
  if (!r)
    return r.error();
  if (r->status != 200)
    return platform_error(*r);
  return parse_answer<protocol::provision_response>(*r);
}

caf::expected<protocol::checkin_response>
platform_client::checkin(const protocol::checkin_request& request) {
  auto r = send("POST", protocol::endpoint_checkin(base_.target), protocol::to_body(request));
  if (!r)
    return r.error();
  if (r->status != 200)
    return platform_error(*r);
  return parse_answer<protocol::checkin_response>(*r);
}

caf::expected<std::optional<protocol::profile>>
platform_client::profile(const std::string& etag, std::vector<caf::error>* dropped_windows) {
  http_fields fields;
  if (!etag.empty())
    fields.set(std::string{protocol::header_if_none_match}, etag);
  auto r = send("GET", protocol::endpoint_profile(base_.target), {}, std::move(fields));
  if (!r)
    return r.error();
  if (r->status == 304)
    return std::optional<protocol::profile>{};
  if (r->status != 200)
    return platform_error(*r);
  std::vector<caf::error> dropped;
  auto p = protocol::parse_profile_body(r->body, dropped);
  if (!p)
    return p.error();
  if (dropped_windows)
    *dropped_windows = std::move(dropped);
  return std::optional<protocol::profile>{std::move(*p)};
}

caf::expected<std::optional<protocol::manifest>>
platform_client::manifest(const std::string& module, std::optional<int64_t> cached_version) {
  http_fields fields;
  if (cached_version)
    fields.set(std::string{protocol::header_if_none_match},
               "\"v" + std::to_string(*cached_version) + "\"");
  auto r = send("GET", protocol::endpoint_manifest(base_.target, module), {}, std::move(fields));
  if (!r)
    return r.error();
  if (r->status == 304)
    return std::optional<protocol::manifest>{};
  if (r->status != 200)
    return platform_error(*r);
  auto m = parse_answer<protocol::manifest>(*r);
  if (!m)
    return m.error();
  return std::optional<protocol::manifest>{std::move(*m)};
}

caf::expected<protocol::upload_status> platform_client::upload_status(const std::string& module,
                                                                      uint64_t seq) {
  auto r = send("GET", protocol::endpoint_delta(base_.target, module, seq), {});
  if (!r)
    return r.error();
  if (r->status != 200)
    return platform_error(*r);
  return parse_answer<protocol::upload_status>(*r);
}

namespace {

caf::error stopped_between_chunks(const std::string& module, uint64_t seq, uint64_t offset,
                                  uint64_t total) {
  return make_error(ec::cancelled, module + " seq " + std::to_string(seq)
                                     + " stopped between chunks, the platform holding "
                                     + std::to_string(offset) + " of " + std::to_string(total)
                                     + " bytes");
}

} // namespace

caf::expected<protocol::upload_result>
platform_client::upload_delta(const std::string& module, uint64_t seq, const std::string& bytes,
                              const upload_options& options) {
  auto chunk_bytes = std::clamp<std::size_t>(options.chunk_bytes, 1, protocol::max_chunk_bytes);
  caf::expected<protocol::upload_status> status = protocol::upload_status{};
  if (options.received)
    status->received_bytes = *options.received;
  else
    status = upload_status(module, seq);
  if (!status)
    return status.error();
  if (!status->applied) {
    uint64_t offset = status->received_bytes;
    int conflicts = 0;
    while (offset < bytes.size()) {
      if (options.keep_going && !options.keep_going())
        return stopped_between_chunks(module, seq, offset, bytes.size());
      auto length = std::min<uint64_t>(chunk_bytes, bytes.size() - offset);
      http_fields fields;
      fields.set(std::string{protocol::header_offset}, std::to_string(offset));
      fields.set(std::string{protocol::header_total_size}, std::to_string(bytes.size()));
      fields.set("Content-Type", std::string{protocol::content_type_delta});
      auto r = send("PUT", protocol::endpoint_delta(base_.target, module, seq),
                    bytes.substr(offset, length), std::move(fields));
      if (!r)
        return r.error();
      if (r->status == 409 && ++conflicts <= 3) {
        // The platform holds another amount (a lost answer): resume from it.
        auto now = upload_status(module, seq);
        if (!now)
          return now.error();
        if (now->applied)
          break;
        offset = now->received_bytes;
        continue;
      }
      if (r->status != 200)
        return platform_error(*r);
      auto acked = parse_answer<protocol::upload_status>(*r);
      if (!acked)
        return acked.error();
      offset = acked->received_bytes;
      if (options.on_chunk)
        options.on_chunk(offset);
    }
  }
  if (options.keep_going && !options.keep_going())
    return stopped_between_chunks(module, seq, bytes.size(), bytes.size());
  protocol::upload_complete done{bytes.size(), protocol::sha256_hex(bytes)};
  auto r = send("POST", protocol::endpoint_delta_complete(base_.target, module, seq),
                protocol::to_body(done));
  if (!r)
    return r.error();
  if (r->status != 200)
    return platform_error(*r);
  return parse_answer<protocol::upload_result>(*r);
}

} // namespace vigil
