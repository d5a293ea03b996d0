#include "protocol/json_reader.hpp"

#include <limits>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "protocol/guid.hpp"
#include "protocol/modules.hpp"

namespace vigil::protocol {

std::string_view kind_of(const nlohmann::json& value) noexcept {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "integer";
    case nlohmann::json::value_t::number_float: return "float";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::binary: return "binary";
    case nlohmann::json::value_t::discarded: return "discarded";
  }
  return "unknown";
}

std::string quoted_value(std::string_view text) {
  constexpr size_t max_shown = 64;
  constexpr char hex[] = "0123456789abcdef";
  std::string out{"\""};
  for (size_t i = 0; i < text.size() && i < max_shown; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0x0f];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max_shown)
    out += "...";
  out += '"';
  return out;
}

json_reader::json_reader(const nlohmann::json& value, std::string path)
  : json_reader(value, std::move(path), own_) {
}

json_reader::json_reader(const nlohmann::json& value, std::string path, caf::error& sink)
  : value_(&value), path_(std::move(path)), sink_(&sink) {
  if (!value.is_object()) {
    std::string what{"expected an object, got "};
    what += kind_of(value);
    fail(what);
  }
}

std::string json_reader::path_of(std::string_view field) const {
  std::string out = path_;
  out += '.';
  out += field;
  return out;
}

void json_reader::fail(std::string_view field, std::string_view what) {
  if (!ok())
    return;
  auto context = path_of(field);
  context += ": ";
  context += what;
  *sink_ = make_error(ec::protocol_error, std::move(context));
}

void json_reader::fail(std::string_view what) {
  if (!ok())
    return;
  std::string context = path_;
  context += ": ";
  context += what;
  *sink_ = make_error(ec::protocol_error, std::move(context));
}

bool json_reader::check(bool condition, std::string_view field, std::string_view what) {
  if (!condition)
    fail(field, what);
  return condition;
}

const nlohmann::json* json_reader::find(std::string_view field) const noexcept {
  if (!value_->is_object())
    return nullptr;
  auto it = value_->find(field);
  return it == value_->end() ? nullptr : &*it;
}

bool json_reader::has(std::string_view field) const noexcept {
  return present(field) != nullptr;
}

const nlohmann::json* json_reader::present(std::string_view field) const noexcept {
  auto* member = find(field);
  return member != nullptr && !member->is_null() ? member : nullptr;
}

const nlohmann::json* json_reader::require(std::string_view field) {
  if (!ok())
    return nullptr;
  auto* member = find(field);
  if (member == nullptr)
    fail(field, "missing");
  return member;
}

void json_reader::mistyped(std::string_view field, std::string_view expected,
                           const nlohmann::json& got) {
  std::string what{"expected "};
  what += expected;
  what += ", got ";
  what += kind_of(got);
  fail(field, what);
}

bool json_reader::read_string(std::string_view field, const nlohmann::json& value,
                              std::string& out) {
  if (!value.is_string()) {
    mistyped(field, "a string", value);
    return false;
  }
  out = value.get_ref<const std::string&>();
  return true;
}

bool json_reader::read_bool(std::string_view field, const nlohmann::json& value, bool& out) {
  if (!value.is_boolean()) {
    mistyped(field, "a boolean", value);
    return false;
  }
  out = value.get<bool>();
  return true;
}

bool json_reader::read_int(std::string_view field, const nlohmann::json& value, int64_t min,
                           int64_t max, int64_t& out) {
  if (!value.is_number_integer()) {
    mistyped(field, "an integer", value);
    return false;
  }
  if (value.is_number_unsigned()) {
    auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) {
      fail(field, "out of range: " + std::to_string(u));
      return false;
    }
    out = static_cast<int64_t>(u);
    return true;
  }
  auto i = value.get<int64_t>();
  if (i < min || i > max) {
    fail(field, "out of range: " + std::to_string(i));
    return false;
  }
  out = i;
  return true;
}

bool json_reader::read_uint(std::string_view field, const nlohmann::json& value,
                            uint64_t& out) {
  if (!value.is_number_integer()) {
    mistyped(field, "a non-negative integer", value);
    return false;
  }
  // A value built in code (`json = 0`) is a signed integer even when it is not
  // negative; only the sign matters.
  if (!value.is_number_unsigned() && value.get<int64_t>() < 0) {
    fail(field, "expected a non-negative integer, got " + std::to_string(value.get<int64_t>()));
    return false;
  }
  out = value.is_number_unsigned() ? value.get<uint64_t>()
                                   : static_cast<uint64_t>(value.get<int64_t>());
  return true;
}

bool json_reader::read_strings(std::string_view field, const nlohmann::json& value,
                               std::vector<std::string>& out) {
  if (!value.is_array()) {
    mistyped(field, "an array of strings", value);
    return false;
  }
  std::vector<std::string> items;
  items.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const auto& item = value[i];
    if (!item.is_string()) {
      auto element = std::string{field} + "[" + std::to_string(i) + "]";
      mistyped(element, "a string", item);
      return false;
    }
    items.push_back(item.get<std::string>());
  }
  out = std::move(items);
  return true;
}

bool json_reader::required(std::string_view field, std::string& out) {
  auto* v = require(field);
  return v != nullptr && read_string(field, *v, out);
}

bool json_reader::required(std::string_view field, bool& out) {
  auto* v = require(field);
  return v != nullptr && read_bool(field, *v, out);
}

bool json_reader::required(std::string_view field, int& out) {
  auto* v = require(field);
  int64_t wide = 0;
  if (v == nullptr
      || !read_int(field, *v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(),
                   wide))
    return false;
  out = static_cast<int>(wide);
  return true;
}

bool json_reader::required(std::string_view field, int64_t& out) {
  auto* v = require(field);
  return v != nullptr
         && read_int(field, *v, std::numeric_limits<int64_t>::min(),
                     std::numeric_limits<int64_t>::max(), out);
}

bool json_reader::required(std::string_view field, uint64_t& out) {
  auto* v = require(field);
  return v != nullptr && read_uint(field, *v, out);
}

bool json_reader::required(std::string_view field, std::vector<std::string>& out) {
  auto* v = require(field);
  return v != nullptr && read_strings(field, *v, out);
}

bool json_reader::optional(std::string_view field, std::string& out) {
  auto* v = present(field);
  return ok() && v != nullptr && read_string(field, *v, out);
}

bool json_reader::optional(std::string_view field, bool& out) {
  auto* v = present(field);
  return ok() && v != nullptr && read_bool(field, *v, out);
}

bool json_reader::optional(std::string_view field, int& out) {
  return has(field) && required(field, out);
}

bool json_reader::optional(std::string_view field, int64_t& out) {
  return has(field) && required(field, out);
}

bool json_reader::optional(std::string_view field, uint64_t& out) {
  return has(field) && required(field, out);
}

bool json_reader::optional(std::string_view field, std::optional<std::string>& out) {
  std::string value;
  if (!optional(field, value))
    return false;
  out = std::move(value);
  return true;
}

bool json_reader::optional(std::string_view field, std::optional<bool>& out) {
  bool value = false;
  if (!optional(field, value))
    return false;
  out = value;
  return true;
}

bool json_reader::optional(std::string_view field, std::optional<uint64_t>& out) {
  uint64_t value = 0;
  if (!optional(field, value))
    return false;
  out = value;
  return true;
}

bool json_reader::guid(std::string_view field, std::string& out) {
  std::string value;
  if (!required(field, value) || !check(is_guid(value), field, "not a GUID: " + quoted_value(value)))
    return false;
  out = std::move(value);
  return true;
}

bool json_reader::module(std::string_view field, std::string& out) {
  std::string value;
  if (!required(field, value)
      || !check(is_module_name(value), field, "unknown module " + quoted_value(value)))
    return false;
  out = std::move(value);
  return true;
}

bool json_reader::non_empty(std::string_view field, std::string& out) {
  std::string value;
  if (!required(field, value) || !check(!value.empty(), field, "empty"))
    return false;
  out = std::move(value);
  return true;
}

bool json_reader::object(std::string_view field, const std::function<void(json_reader&)>& f) {
  auto* v = require(field);
  if (v == nullptr)
    return false;
  json_reader nested{*v, path_of(field), *sink_};
  if (nested.ok())
    f(nested);
  return ok();
}

bool json_reader::objects(std::string_view field,
                          const std::function<void(json_reader&, size_t)>& f) {
  auto* v = require(field);
  if (v == nullptr)
    return false;
  if (!v->is_array()) {
    mistyped(field, "an array", *v);
    return false;
  }
  auto base = path_of(field);
  for (size_t i = 0; i < v->size() && ok(); ++i) {
    json_reader element{(*v)[i], base + "[" + std::to_string(i) + "]", *sink_};
    if (element.ok())
      f(element, i);
  }
  return ok();
}

} // namespace vigil::protocol
