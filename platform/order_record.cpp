#include "platform/order_record.hpp"

#include <array>
#include <ctime>
#include <utility>

using nlohmann::json;

namespace vigil::platform {

namespace {

constexpr std::array<std::pair<std::string_view, order_state>, 5> state_names{{
  {"pending", order_state::pending},
  {"delivered", order_state::delivered},
  {"done", order_state::done},
  {"failed", order_state::failed},
  {"refused", order_state::refused},
}};

std::optional<order_state> state_named(std::string_view name) {
  for (auto [text, state] : state_names)
    if (text == name)
      return state;
  return std::nullopt;
}

std::string iso_time(int64_t t) {
  auto tt = static_cast<std::time_t>(t);
  std::tm parts{};
  char buf[32];
  if (gmtime_r(&tt, &parts) == nullptr
      || std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts) == 0)
    return std::to_string(t);
  return buf;
}

/// `text` with control characters as spaces: one log line stays one line.
std::string one_line(std::string_view text) {
  std::string out{text};
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = ' ';
  return out;
}

/// The string member `name` of `object`, or empty.
std::string string_member(const json& object, const char* name) {
  if (!object.is_object())
    return {};
  auto i = object.find(name);
  return i != object.end() && i->is_string() ? i->get<std::string>() : std::string{};
}

} // namespace

std::string_view to_string(order_state state) noexcept {
  for (auto [text, value] : state_names)
    if (value == state)
      return text;
  return "unknown";
}

std::optional<order_state> order_state_of_result(std::string_view result) noexcept {
  auto state = state_named(result);
  if (state && is_final(*state))
    return state;
  return std::nullopt;
}

bool is_final(order_state state) noexcept {
  return state == order_state::done || state == order_state::failed
         || state == order_state::refused;
}

std::string order_record::id() const {
  return string_member(order, "id");
}

std::string order_record::type() const {
  return string_member(order, "type");
}

std::string order_record::to_text() const {
  return json{{"order", order},
              {"envelope", envelope},
              {"seq", seq},
              {"state", to_string(state)},
              {"reason", reason},
              {"added_at", added_at},
              {"delivered_at", delivered_at},
              {"deliveries", deliveries},
              {"at", at}}
    .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<order_record> order_record::parse(std::string_view text) {
  auto doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object())
    return std::nullopt;
  order_record out;
  auto body = doc.find("order");
  if (body == doc.end()) {
    // A bare order, queued by a platform that deleted orders on delivery.
    if (!doc.contains("id") || !doc.contains("type"))
      return std::nullopt;
    out.order = std::move(doc);
    return out;
  }
  if (!body->is_object())
    return std::nullopt;
  out.order = *body;
  auto state = state_named(doc.value("state", ""));
  if (!state)
    return std::nullopt;
  out.state = *state;
  try {
    out.envelope = doc.value("envelope", "");
    out.seq = doc.value("seq", uint64_t{0});
    out.reason = doc.value("reason", "");
    out.added_at = doc.value("added_at", int64_t{0});
    out.delivered_at = doc.value("delivered_at", int64_t{0});
    out.deliveries = doc.value("deliveries", uint64_t{0});
    out.at = doc.value("at", int64_t{0});
  } catch (const json::exception&) { // a member of the wrong type
    return std::nullopt;
  }
  return out;
}

json order_record::to_asset_json() const {
  return {{"id", id()},
          {"type", type()},
          {"state", to_string(state)},
          {"reason", reason},
          {"at", at},
          {"added_at", added_at},
          {"deliveries", deliveries}};
}

std::string order_log_line(int64_t now, std::string_view host_id, const order_record& record,
                           std::string_view event) {
  auto line = iso_time(now) + " host=" + one_line(host_id) + " order=" + one_line(record.id())
              + " type=" + one_line(record.type()) + " " + std::string{event};
  auto state = state_named(event);
  if (state && is_final(*state))
    line += " reason=" + one_line(record.reason);
  return line;
}

} // namespace vigil::platform
