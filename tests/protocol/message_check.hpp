#pragma once

// Generic checks every protocol message goes through: round trip, forward
// compatibility, and a named error for each required field that is missing or
// mistyped. They walk the JSON form of a fully populated sample, so a field
// added to a message is covered without touching the tests.

#include <limits>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "protocol/body.hpp"

namespace vigil::protocol::test {

/// "/modules/2/cpu_limit" -> "modules[2].cpu_limit".
inline std::string dotted(const std::string& pointer) {
  std::string out;
  size_t pos = 1;
  while (pos <= pointer.size()) {
    auto next = pointer.find('/', pos);
    auto segment = pointer.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    bool index = !segment.empty() && segment.find_first_not_of("0123456789") == std::string::npos;
    if (index)
      out += "[" + segment + "]";
    else
      out += (out.empty() ? "" : ".") + segment;
    if (next == std::string::npos)
      break;
    pos = next + 1;
  }
  return out;
}

/// JSON pointers to every value below `json`: object members always, array
/// elements when `with_elements`.
inline void collect_pointers(const nlohmann::json& json, const std::string& prefix,
                             bool with_elements, std::vector<std::string>& out) {
  if (json.is_object()) {
    for (auto it = json.begin(); it != json.end(); ++it) {
      auto pointer = prefix + "/" + it.key();
      out.push_back(pointer);
      collect_pointers(it.value(), pointer, with_elements, out);
    }
  } else if (json.is_array()) {
    for (size_t i = 0; i < json.size(); ++i) {
      auto pointer = prefix + "/" + std::to_string(i);
      if (with_elements)
        out.push_back(pointer);
      collect_pointers(json[i], pointer, with_elements, out);
    }
  }
}

inline std::vector<std::string> pointers(const nlohmann::json& json, bool with_elements) {
  std::vector<std::string> out;
  collect_pointers(json, "", with_elements, out);
  return out;
}

/// Whether `pointer` is `skip` or below one of them.
inline bool below(const std::string& pointer, const std::set<std::string>& skip) {
  for (const auto& s : skip)
    if (pointer == s || pointer.rfind(s + "/", 0) == 0)
      return true;
  return false;
}

/// Removes the value at `pointer` from `json`.
inline void erase_at(nlohmann::json& json, const std::string& pointer) {
  auto slash = pointer.rfind('/');
  auto parent = nlohmann::json::json_pointer{pointer.substr(0, slash)};
  auto key = pointer.substr(slash + 1);
  auto& container = json[parent];
  if (container.is_array())
    container.erase(std::stoul(key));
  else
    container.erase(key);
}

/// `msg` survives to_json/from_json and to_body/parse_body unchanged.
template <class T>
void check_round_trip(const T& msg) {
  auto back = from_json<T>(to_json(msg));
  REQUIRE_MESSAGE(back, render(back.error()));
  CHECK(*back == msg);
  auto parsed = parse_body<T>(to_body(msg));
  REQUIRE_MESSAGE(parsed, render(parsed.error()));
  CHECK(*parsed == msg);
}

/// Unknown members added to every object of `msg`'s JSON change nothing.
/// Objects at or below a pointer in `raw` are kept as they are by the message,
/// so they are left alone.
template <class T>
void check_unknown_fields_ignored(const T& msg, const std::set<std::string>& raw = {}) {
  auto json = to_json(msg);
  auto future = nlohmann::json{{"nested", {1, "two", nullptr}}, {"flag", true}};
  for (const auto& pointer : pointers(json, true)) {
    if (below(pointer, raw))
      continue;
    auto& value = json[nlohmann::json::json_pointer{pointer}];
    if (value.is_object())
      value["x_future_field"] = future;
  }
  json["x_future_field"] = future;
  json["zz_future"] = 42;
  auto back = from_json<T>(json);
  REQUIRE_MESSAGE(back, render(back.error()));
  CHECK(*back == msg);
}

/// For every member of `msg`'s JSON (outside `raw`, whose content the message
/// keeps without checking): removing it either still parses (when it is listed
/// in `optional`) or gives `<name>.<path>: missing`; and for every member and
/// array element, a value of the wrong type gives `<name>.<path>: expected ...,
/// got <kind>`.
template <class T>
void check_field_errors(const T& msg, const std::set<std::string>& optional,
                        const std::set<std::string>& raw = {}) {
  const std::string name{message_traits<T>::name};
  const auto valid = to_json(msg);
  for (const auto& pointer : pointers(valid, false)) {
    if (below(pointer, raw))
      continue;
    CAPTURE(pointer);
    auto json = valid;
    erase_at(json, pointer);
    auto parsed = from_json<T>(json);
    if (optional.count(pointer) > 0) {
      CHECK_MESSAGE(parsed, render(parsed.error()));
      continue;
    }
    REQUIRE_FALSE(parsed);
    CHECK(code_of(parsed.error()) == ec::protocol_error);
    auto expected = name + "." + dotted(pointer) + ": missing";
    CHECK_MESSAGE(context_of(parsed.error()).rfind(expected, 0) == 0, context_of(parsed.error()),
                  " should start with ", expected);
  }
  for (const auto& pointer : pointers(valid, true)) {
    if (below(pointer, raw))
      continue;
    CAPTURE(pointer);
    auto json = valid;
    auto& value = json[nlohmann::json::json_pointer{pointer}];
    bool was_string = value.is_string();
    value = was_string ? nlohmann::json(42) : nlohmann::json("text");
    auto parsed = from_json<T>(json);
    REQUIRE_FALSE(parsed);
    CHECK(code_of(parsed.error()) == ec::protocol_error);
    auto prefix = name + "." + dotted(pointer) + ": expected ";
    auto suffix = was_string ? std::string{", got integer"} : std::string{", got string"};
    auto context = context_of(parsed.error());
    CHECK_MESSAGE(context.rfind(prefix, 0) == 0, context, " should start with ", prefix);
    CHECK_MESSAGE(context.size() >= suffix.size(), context);
    if (context.size() >= suffix.size())
      CHECK(context.substr(context.size() - suffix.size()) == suffix);
  }
}

/// Replacing any value of `msg`'s JSON with a value of any kind never throws and
/// never fails with anything but a protocol error.
template <class T>
void check_no_exceptions(const T& msg) {
  const auto valid = to_json(msg);
  const std::vector<nlohmann::json> replacements{
    nullptr, true, -1, 0, 1.5, "", "s", nlohmann::json::array(), nlohmann::json::object(),
    nlohmann::json::array({1, "x"}), nlohmann::json{{"a", 1}},
    std::numeric_limits<uint64_t>::max(), std::numeric_limits<int64_t>::min()};
  for (const auto& pointer : pointers(valid, true)) {
    for (const auto& replacement : replacements) {
      auto json = valid;
      json[nlohmann::json::json_pointer{pointer}] = replacement;
      CAPTURE(pointer);
      CAPTURE(replacement.dump());
      caf::expected<T> parsed{caf::error{}};
      CHECK_NOTHROW(parsed = from_json<T>(json));
      if (!parsed)
        CHECK(code_of(parsed.error()) == ec::protocol_error);
    }
  }
}

/// A top level that is not an object gives `<name>: expected an object, got ...`.
template <class T>
void check_top_level() {
  const std::string name{message_traits<T>::name};
  for (const auto& [json, kind] : std::vector<std::pair<nlohmann::json, std::string>>{
         {nullptr, "null"},
         {42, "integer"},
         {"text", "string"},
         {nlohmann::json::array({1}), "array"},
         {1.5, "float"},
         {false, "boolean"}}) {
    auto parsed = from_json<T>(json);
    REQUIRE_FALSE(parsed);
    CHECK(code_of(parsed.error()) == ec::protocol_error);
    CHECK(context_of(parsed.error()) == name + ": expected an object, got " + kind);
  }
}

/// Every generic check at once.
template <class T>
void check_message(const T& msg, const std::set<std::string>& optional,
                   const std::set<std::string>& raw = {}) {
  SUBCASE("round trip") {
    check_round_trip(msg);
  }
  SUBCASE("unknown fields are ignored") {
    check_unknown_fields_ignored(msg);
  }
  SUBCASE("missing and mistyped fields are named") {
    check_field_errors(msg, optional, raw);
  }
  SUBCASE("no exception escapes") {
    check_no_exceptions(msg);
  }
  SUBCASE("the top level must be an object") {
    check_top_level<T>();
  }
}

} // namespace vigil::protocol::test
