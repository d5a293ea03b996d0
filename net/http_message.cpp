#include "net/http_message.hpp"

#include <algorithm>

#include "host/text_encoding.hpp"

namespace vigil {

std::string http_fields::get(std::string_view name) const {
  for (auto& [key, value] : entries)
    if (iequals(key, name))
      return value;
  return {};
}

bool http_fields::has(std::string_view name) const {
  return std::any_of(entries.begin(), entries.end(),
                     [&](auto& entry) { return iequals(entry.first, name); });
}

void http_fields::set(std::string_view name, std::string value) {
  std::erase_if(entries, [&](auto& entry) { return iequals(entry.first, name); });
  entries.emplace_back(std::string{name}, std::move(value));
}

} // namespace vigil
