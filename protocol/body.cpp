#include "protocol/body.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace vigil::protocol {

namespace {

/// The deepest nesting in `text`, counting brackets outside strings. Exact for
/// valid JSON; for invalid JSON a bound the parser will reject anyway.
bool nested_within(std::string_view text, size_t limit) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit)
        return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

caf::error named(std::string_view name, std::string what) {
  std::string context{name};
  context += ": ";
  context += what;
  return make_error(ec::protocol_error, std::move(context));
}

} // namespace

caf::error parse_json_text(std::string_view text, std::string_view name,
                           const std::function<caf::error(const nlohmann::json&)>& f) {
  if (text.empty())
    return named(name, "not JSON: empty body");
  if (text.size() > max_json_body_bytes)
    return named(name, "too large: " + std::to_string(text.size()) + " bytes, the limit is "
                         + std::to_string(max_json_body_bytes));
  if (!nested_within(text, max_json_depth))
    return named(name, "nested deeper than " + std::to_string(max_json_depth) + " levels");
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return named(name, std::string{"not JSON: "} + e.what());
  }
  try {
    return f(document);
  } catch (const nlohmann::json::exception& e) {
    return named(name, e.what());
  }
}

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace vigil::protocol
