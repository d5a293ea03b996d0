#include "platform/os_family.hpp"

#include <algorithm>
#include <cctype>

namespace vigil::platform {

std::string_view os_family_of(std::string_view os_name) noexcept {
  constexpr std::string_view windows = "windows";
  if (os_name.size() >= windows.size()
      && std::equal(windows.begin(), windows.end(), os_name.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         }))
    return "windows";
  return default_os_family;
}

bool is_os_family(std::string_view family) noexcept {
  return std::find(os_families.begin(), os_families.end(), family) != os_families.end();
}

std::string manifest_key(std::string_view module, std::string_view family) {
  if (family == default_os_family)
    return std::string{module};
  return std::string{module} + "|" + std::string{family};
}

} // namespace vigil::platform
