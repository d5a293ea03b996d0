#include "platform/duration.hpp"

#include <charconv>
#include <string>

#include "common/error.hpp"

namespace vigil::platform {

caf::expected<int64_t> parse_duration(std::string_view text) {
  auto refuse = [&] {
    return make_error(ec::invalid_argument,
                      "'" + std::string{text}
                        + "' is not a duration (a positive number and s, m, h or d: 30d)");
  };
  if (text.empty())
    return refuse();
  int64_t unit = 1;
  auto digits = text;
  switch (text.back()) {
    case 's': unit = 1; digits.remove_suffix(1); break;
    case 'm': unit = 60; digits.remove_suffix(1); break;
    case 'h': unit = 3600; digits.remove_suffix(1); break;
    case 'd': unit = 86400; digits.remove_suffix(1); break;
    default: break;
  }
  int64_t n = 0;
  auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  constexpr int64_t limit = int64_t{100} * 366 * 86400;
  if (digits.empty() || err != std::errc{} || end != digits.data() + digits.size() || n <= 0
      || n > limit / unit)
    return refuse();
  return n * unit;
}

} // namespace vigil::platform
