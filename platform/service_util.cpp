#include "platform/service_util.hpp"

#include "common/error.hpp"
#include "host/logging.hpp"
#include "protocol/error_response.hpp"
#include "protocol/modules.hpp"

namespace vigil::platform::detail {

http_response json_answer(unsigned status, const std::string& body) {
  http_response r;
  r.status = status;
  r.fields.set("Content-Type", "application/json");
  r.body = body;
  return r;
}

http_response error_answer(std::string_view code, std::string message,
                           std::optional<uint64_t> expected_seq) {
  protocol::error_response e{std::string{code}, std::move(message), expected_seq};
  return json_answer(static_cast<unsigned>(protocol::http_status_of(code)), protocol::to_body(e));
}

http_response store_failure(const caf::error& error) {
  module_logger(log_module::agent)->error("platform store failure: {}", render(error));
  return error_answer(protocol::error_codes::internal, "the platform's store failed; retry later");
}

std::optional<nlohmann::json> load_json(kv_store& store, std::string_view column,
                                        std::string_view key, caf::error& error) {
  auto value = store.get(column, key);
  if (!value) {
    error = value.error();
    return std::nullopt;
  }
  if (!*value)
    return std::nullopt;
  auto parsed = nlohmann::json::parse(**value, nullptr, false);
  if (parsed.is_discarded()) {
    error = make_error(ec::corruption, "malformed JSON in " + std::string{column} + " "
                                         + std::string{key});
    return std::nullopt;
  }
  return parsed;
}

bool known_module(std::string_view module) {
  return protocol::is_module_name(module);
}

std::optional<int64_t> silent_protected_for(bool protection_on, int64_t last_checkin,
                                            int64_t interval_s, int64_t now) {
  if (!protection_on || last_checkin <= 0)
    return std::nullopt;
  auto silent = now - last_checkin;
  if (silent <= 3 * std::max<int64_t>(interval_s, 1))
    return std::nullopt;
  return silent;
}

} // namespace vigil::platform::detail
