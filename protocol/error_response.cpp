#include "protocol/error_response.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "protocol/json_reader.hpp"

namespace vigil::protocol {

int http_status_of(std::string_view code) noexcept {
  namespace codes = error_codes;
  if (code == codes::invalid_request || code == codes::unsupported_protocol)
    return 400;
  if (code == codes::unauthorized)
    return 401;
  if (code == codes::not_found)
    return 404;
  if (code == codes::seq_gap || code == codes::conflict)
    return 409;
  if (code == codes::too_large)
    return 413;
  return 500;
}

caf::error to_error(const error_response& response, int status) {
  auto code = ec::protocol_error;
  if (response.code == error_codes::unauthorized)
    code = ec::permission_denied;
  else if (response.code == error_codes::not_found)
    code = ec::not_found;
  else if (response.code == error_codes::internal || status >= 500 || status == 429)
    code = ec::busy;
  std::string context{"platform "};
  context += std::to_string(status);
  context += ' ';
  context += response.code;
  context += ": ";
  context += response.message;
  return make_error(code, std::move(context));
}

caf::error error_of_answer(int status, std::string_view body) {
  auto parsed = parse_body<error_response>(body);
  if (parsed)
    return to_error(*parsed, status);
  return to_error({"unknown", "HTTP " + std::to_string(status), std::nullopt}, status);
}

nlohmann::json to_json(const error_response& msg) {
  nlohmann::json out{{"code", msg.code}, {"message", msg.message}};
  if (msg.expected_seq)
    out["expected_seq"] = *msg.expected_seq;
  return out;
}

caf::expected<error_response> parse_error_response(const nlohmann::json& json) {
  json_reader r{json, "error_response"};
  error_response out;
  r.non_empty("code", out.code);
  r.required("message", out.message);
  if (r.optional("expected_seq", out.expected_seq))
    r.check(*out.expected_seq >= 1, "expected_seq", "must be at least 1");
  return r.result(std::move(out));
}

std::string message_traits<error_response>::body(const error_response& msg) {
  return dump_json(to_json(msg));
}

} // namespace vigil::protocol
