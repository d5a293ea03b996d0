#include "net/pac/addresses.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <charconv>
#include <cstring>
#include <vector>

#include "common/text.hpp"

namespace vigil {

namespace {

/// An address as 16 bytes (IPv4 in the first 4) and its family.
struct raw_address {
  bool v6 = false;
  std::array<unsigned char, 16> bytes{};

  friend auto operator<=>(const raw_address&, const raw_address&) = default;
};

std::optional<raw_address> parse_address(std::string_view text) {
  std::string copy{text};
  raw_address out;
  if (inet_pton(AF_INET, copy.c_str(), out.bytes.data()) == 1)
    return out;
  out.v6 = true;
  if (inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) == 1)
    return out;
  return std::nullopt;
}

std::string to_text(const raw_address& address) {
  char buffer[INET6_ADDRSTRLEN];
  inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), buffer, sizeof(buffer));
  return buffer;
}

} // namespace

bool address_in_prefix(std::string_view address, std::string_view prefix) {
  auto slash = prefix.find('/');
  auto network = parse_address(trim_blanks(prefix.substr(0, slash)));
  auto host = parse_address(trim_blanks(address));
  if (!network || !host || network->v6 != host->v6)
    return false;
  unsigned width = network->v6 ? 128 : 32;
  unsigned bits = width;
  if (slash != std::string_view::npos) {
    auto text = trim_blanks(prefix.substr(slash + 1));
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bits);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || bits > width)
      return false;
  }
  for (unsigned i = 0; i < bits / 8; ++i)
    if (host->bytes[i] != network->bytes[i])
      return false;
  if (auto rest = bits % 8) {
    auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    if ((host->bytes[bits / 8] & mask) != (network->bytes[bits / 8] & mask))
      return false;
  }
  return true;
}

std::optional<std::string> sort_address_list(std::string_view list) {
  std::vector<raw_address> addresses;
  size_t start = 0;
  while (start <= list.size()) {
    auto end = std::min(list.find(';', start), list.size());
    auto entry = trim_blanks(list.substr(start, end - start));
    start = end + 1;
    if (entry.empty())
      continue;
    auto parsed = parse_address(entry);
    if (!parsed)
      return std::nullopt;
    addresses.push_back(*parsed);
  }
  if (addresses.empty())
    return std::nullopt;
  // IPv6 first (v6 == true sorts before false), then by value.
  std::sort(addresses.begin(), addresses.end(), [](const raw_address& a, const raw_address& b) {
    if (a.v6 != b.v6)
      return a.v6;
    return a.bytes < b.bytes;
  });
  std::string out;
  for (auto& address : addresses)
    out += (out.empty() ? "" : ";") + to_text(address);
  return out;
}

} // namespace vigil
