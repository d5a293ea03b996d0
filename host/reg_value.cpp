#include "host/reg_value.hpp"

#include <cstdio>

#include "host/text_encoding.hpp"

namespace vigil {

std::string to_string(reg_type type) {
  switch (type) {
    case reg_type::none: return "REG_NONE";
    case reg_type::sz: return "REG_SZ";
    case reg_type::expand_sz: return "REG_EXPAND_SZ";
    case reg_type::binary: return "REG_BINARY";
    case reg_type::dword: return "REG_DWORD";
    case reg_type::dword_big_endian: return "REG_DWORD_BIG_ENDIAN";
    case reg_type::link: return "REG_LINK";
    case reg_type::multi_sz: return "REG_MULTI_SZ";
    case reg_type::resource_list: return "REG_RESOURCE_LIST";
    case reg_type::full_resource_descriptor: return "REG_FULL_RESOURCE_DESCRIPTOR";
    case reg_type::resource_requirements_list: return "REG_RESOURCE_REQUIREMENTS_LIST";
    case reg_type::qword: return "REG_QWORD";
  }
  char buf[24];
  std::snprintf(buf, sizeof(buf), "REG_0x%x", static_cast<unsigned>(type));
  return buf;
}

bool holds_bytes(reg_type type) noexcept {
  return type != reg_type::sz && type != reg_type::expand_sz && type != reg_type::multi_sz
         && type != reg_type::dword && type != reg_type::qword;
}

std::optional<reg_type> parse_reg_type(std::string_view name) noexcept {
  for (auto type : {reg_type::sz, reg_type::expand_sz, reg_type::multi_sz, reg_type::dword,
                    reg_type::qword, reg_type::binary})
    if (iequals(name, to_string(type)))
      return type;
  return std::nullopt;
}

reg_value reg_value::sz(std::string name, std::string text) {
  return {std::move(name), reg_type::sz, std::move(text)};
}

reg_value reg_value::expand_sz(std::string name, std::string text) {
  return {std::move(name), reg_type::expand_sz, std::move(text)};
}

reg_value reg_value::multi_sz(std::string name, std::vector<std::string> items) {
  return {std::move(name), reg_type::multi_sz, std::move(items)};
}

reg_value reg_value::dword(std::string name, uint32_t number) {
  return {std::move(name), reg_type::dword, number};
}

reg_value reg_value::qword(std::string name, uint64_t number) {
  return {std::move(name), reg_type::qword, number};
}

reg_value reg_value::binary(std::string name, std::vector<uint8_t> bytes) {
  return {std::move(name), reg_type::binary, std::move(bytes)};
}

reg_value reg_value::raw(std::string name, reg_type type, std::vector<uint8_t> bytes) {
  return {std::move(name), type, std::move(bytes)};
}

std::optional<std::string> reg_value::as_string() const {
  if (auto* s = std::get_if<std::string>(&data))
    return *s;
  return std::nullopt;
}

std::optional<uint64_t> reg_value::as_number() const {
  if (auto* d = std::get_if<uint32_t>(&data))
    return *d;
  if (auto* q = std::get_if<uint64_t>(&data))
    return *q;
  return std::nullopt;
}

std::string reg_value::display() const {
  char buf[32];
  if (auto* bytes = std::get_if<std::vector<uint8_t>>(&data)) {
    std::string out;
    for (auto byte : *bytes) {
      std::snprintf(buf, sizeof(buf), "%02X", byte);
      out += buf;
    }
    return out;
  }
  if (auto* items = std::get_if<std::vector<std::string>>(&data)) {
    std::string out;
    for (size_t i = 0; i < items->size(); ++i) {
      if (i > 0)
        out += "\\0";
      out += (*items)[i];
    }
    return out;
  }
  if (auto* text = std::get_if<std::string>(&data))
    return *text;
  std::snprintf(buf, sizeof(buf), "0x%llx",
                static_cast<unsigned long long>(as_number().value_or(0)));
  return buf;
}

} // namespace vigil
