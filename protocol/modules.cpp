#include "protocol/modules.hpp"

#include <algorithm>
#include <cctype>

namespace vigil::protocol {

namespace {

bool iequal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

} // namespace

bool is_module_name(std::string_view name) noexcept {
  return std::find(module_names.begin(), module_names.end(), name) != module_names.end();
}

bool is_scan_module(std::string_view name) noexcept {
  return std::find(scan_module_names.begin(), scan_module_names.end(), name)
         != scan_module_names.end();
}

std::optional<std::string_view> canonical_module_name(std::string_view name) noexcept {
  for (auto candidate : module_names)
    if (iequal(candidate, name))
      return candidate;
  return std::nullopt;
}

} // namespace vigil::protocol
