#include "installer/version_order.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>

namespace vigil {

int compare_versions(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) -> uint64_t {
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    s.remove_prefix(static_cast<size_t>(ptr - s.data()));
    while (!s.empty() && !std::isdigit(static_cast<unsigned char>(s.front())))
      s.remove_prefix(1);
    return ec == std::errc{} ? n : 0;
  };
  while (!a.empty() || !b.empty()) {
    auto x = next(a), y = next(b);
    if (x != y)
      return x < y ? -1 : 1;
  }
  return 0;
}


} // namespace vigil
