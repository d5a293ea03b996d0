#include "platform/byte_range.hpp"

#include <charconv>
#include <optional>

#include "common/text.hpp"

namespace vigil::platform {

namespace {

std::optional<uint64_t> number(std::string_view text) {
  uint64_t n = 0;
  if (text.empty())
    return std::nullopt;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (err != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return n;
}

} // namespace

byte_range parse_byte_range(std::string_view header, uint64_t total) {
  byte_range whole;
  auto spec = trim_blanks(header);
  constexpr std::string_view unit = "bytes=";
  if (spec.size() < unit.size() || fold_case(spec.substr(0, unit.size())) != unit)
    return whole;
  spec = trim_blanks(spec.substr(unit.size()));
  if (spec.find(',') != std::string_view::npos)
    return whole; // several ranges: sending everything is allowed and simpler
  auto dash = spec.find('-');
  if (dash == std::string_view::npos)
    return whole;
  auto first_text = trim_blanks(spec.substr(0, dash));
  auto last_text = trim_blanks(spec.substr(dash + 1));
  byte_range out;
  if (first_text.empty()) { // bytes=-S: the last S bytes
    auto suffix = number(last_text);
    if (!suffix)
      return whole;
    if (*suffix == 0 || total == 0)
      return {byte_range::kind::unsatisfiable};
    out.what = byte_range::kind::partial;
    out.first = *suffix >= total ? 0 : total - *suffix;
    out.last = total - 1;
    return out;
  }
  auto first = number(first_text);
  if (!first)
    return whole;
  std::optional<uint64_t> last;
  if (!last_text.empty()) {
    last = number(last_text);
    if (!last || *last < *first)
      return whole; // invalid: ignored
  }
  if (*first >= total)
    return {byte_range::kind::unsatisfiable};
  out.what = byte_range::kind::partial;
  out.first = *first;
  out.last = last && *last < total ? *last : total - 1;
  return out;
}

} // namespace vigil::platform
