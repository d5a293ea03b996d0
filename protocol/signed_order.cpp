#include "protocol/signed_order.hpp"

#include <limits>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/signed_document.hpp"
#include "common/signing.hpp"
#include "protocol/guid.hpp"
#include "protocol/json_reader.hpp"

namespace vigil::protocol {

namespace {

using json = nlohmann::json;

caf::error not_an_order(std::string_view why) {
  return make_error(ec::signature_invalid,
                    "not a signed order: " + std::string{why});
}

bool is_time(const json& value) {
  return value.is_number_integer()
         && !(value.is_number_unsigned()
              && value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
}

} // namespace

std::string sign_order(const signing_key& key, std::string_view host_id, const order& o,
                       int64_t issued_at) {
  json payload = {
    {"type", std::string{order_payload_type}},
    {"host_id", std::string{host_id}},
    {"issued_at", issued_at},
    {"order", to_json(o)},
  };
  return sign_document(key, dump_json(payload));
}

caf::expected<opened_order> open_signed_order_details(std::string_view envelope,
                                                      const trusted_keys& keys,
                                                      std::string_view my_host_id) {
  auto payload = open_document(envelope, keys);
  if (!payload)
    return payload.error();
  auto doc = json::parse(*payload, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object())
    return not_an_order("the signed payload is not a JSON object");
  auto type = doc.find("type");
  if (type == doc.end() || !type->is_string()
      || type->get_ref<const std::string&>() != order_payload_type)
    return not_an_order("the signed document's \"type\" is not \"order\"");
  auto host = doc.find("host_id");
  if (host == doc.end() || !host->is_string())
    return not_an_order("\"host_id\" is missing or not a string");
  auto issued = doc.find("issued_at");
  if (issued == doc.end() || !is_time(*issued))
    return not_an_order("\"issued_at\" is missing or not an integer time");
  auto body = doc.find("order");
  if (body == doc.end() || !body->is_object())
    return not_an_order("\"order\" is missing or not an object");
  opened_order out;
  out.host_id = host->get<std::string>();
  out.issued_at = issued->get<int64_t>();
  if (!guid_equal(out.host_id, my_host_id))
    return make_error(ec::wrong_host, "order signed for HostID " + quoted_value(out.host_id)
                                        + ", not for this host's HostID "
                                        + quoted_value(my_host_id));
  auto parsed = parse_order(*body);
  if (!parsed)
    return parsed.error();
  out.content = std::move(*parsed);
  return out;
}

caf::expected<order> open_signed_order(std::string_view envelope, const trusted_keys& keys,
                                       std::string_view my_host_id) {
  auto opened = open_signed_order_details(envelope, keys, my_host_id);
  if (!opened)
    return opened.error();
  return std::move(opened->content);
}

std::optional<std::string> unverified_order_id(std::string_view envelope) {
  auto doc = json::parse(envelope, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object())
    return std::nullopt;
  auto signed_text = doc.find("signed");
  if (signed_text == doc.end() || !signed_text->is_string())
    return std::nullopt;
  auto payload = json::parse(signed_text->get_ref<const std::string&>(), nullptr,
                             /*allow_exceptions=*/false);
  if (!payload.is_object())
    return std::nullopt;
  auto body = payload.find("order");
  if (body == payload.end() || !body->is_object())
    return std::nullopt;
  auto id = body->find("id");
  if (id == body->end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return std::nullopt;
  return id->get<std::string>();
}

} // namespace vigil::protocol
