#include "host/system_proxy.hpp"

#include <algorithm>
#ifdef _WIN32
#include <ws2tcpip.h> // inet_pton
#else
#include <arpa/inet.h>
#endif
#include <array>
#include <charconv>
#include <cstring>

#include "common/text.hpp"
#include "host/text_encoding.hpp"

namespace vigil {

namespace {

/// Sets the variable `name` of `env` when it is one of the proxy variables.
/// Lower case wins over upper case, whatever the order they come in.
void take(proxy_environment& env, std::array<bool, 3>& lower_seen, std::string_view name,
          std::string_view value) {
  struct var {
    std::string_view lower, upper;
    std::optional<std::string> proxy_environment::*field;
  };
  static constexpr std::array<var, 3> vars{{
    {"https_proxy", "HTTPS_PROXY", &proxy_environment::https_proxy},
    {"http_proxy", "HTTP_PROXY", &proxy_environment::http_proxy},
    {"no_proxy", "NO_PROXY", &proxy_environment::no_proxy},
  }};
  for (size_t i = 0; i < vars.size(); ++i) {
    bool lower = name == vars[i].lower;
    if (!lower && name != vars[i].upper)
      continue;
    if (value.empty() || (!lower && lower_seen[i]))
      return;
    env.*vars[i].field = std::string{value};
    lower_seen[i] = lower_seen[i] || lower;
    return;
  }
}

/// An address in network byte order: 4 bytes for IPv4, 16 for IPv6.
std::optional<std::vector<uint8_t>> parse_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  std::string s{text};
  std::array<uint8_t, 16> buf{};
  if (::inet_pton(AF_INET, s.c_str(), buf.data()) == 1)
    return std::vector<uint8_t>(buf.begin(), buf.begin() + 4);
  if (::inet_pton(AF_INET6, s.c_str(), buf.data()) == 1)
    return std::vector<uint8_t>(buf.begin(), buf.end());
  return std::nullopt;
}

bool in_network(const std::vector<uint8_t>& address, const std::vector<uint8_t>& network,
                unsigned bits) {
  if (address.size() != network.size() || bits > address.size() * 8)
    return false;
  for (unsigned i = 0; i < bits; ++i) {
    unsigned mask = 0x80u >> (i % 8);
    if ((address[i / 8] & mask) != (network[i / 8] & mask))
      return false;
  }
  return true;
}

/// Splits `entry` into host and an optional port: `name:port`, `[v6]:port`;
/// a bare IPv6 address has no port.
std::pair<std::string_view, std::optional<uint16_t>> split_port(std::string_view entry) {
  auto colon = entry.rfind(':');
  if (colon == std::string_view::npos)
    return {entry, std::nullopt};
  bool bracketed = !entry.empty() && entry.front() == '[';
  if (!bracketed && entry.find(':') != colon)
    return {entry, std::nullopt}; // a bare IPv6 address
  if (bracketed && (colon == 0 || entry[colon - 1] != ']'))
    return {entry, std::nullopt};
  auto digits = entry.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || err != std::errc{} || ptr != digits.data() + digits.size() || port > 65535)
    return {entry, std::nullopt};
  return {entry.substr(0, colon), static_cast<uint16_t>(port)};
}

bool entry_matches(std::string_view entry, std::string_view host,
                   const std::optional<std::vector<uint8_t>>& host_address, uint16_t port) {
  if (entry == "*")
    return true;
  if (auto slash = entry.find('/'); slash != std::string_view::npos) {
    auto network = parse_address(entry.substr(0, slash));
    unsigned bits = 0;
    auto digits = entry.substr(slash + 1);
    auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (!network || !host_address || err != std::errc{} || ptr != digits.data() + digits.size())
      return false;
    return in_network(*host_address, *network, bits);
  }
  auto [name, entry_port] = split_port(entry);
  if (entry_port && *entry_port != port)
    return false;
  if (auto address = parse_address(name))
    return host_address && *address == *host_address;
  if (name.starts_with("*."))
    name.remove_prefix(2);
  else if (name.starts_with("."))
    name.remove_prefix(1);
  if (name.empty())
    return false;
  auto folded_host = fold_case(host);
  auto folded_name = fold_case(name);
  if (folded_host == folded_name)
    return true;
  return folded_host.size() > folded_name.size() && folded_host.ends_with(folded_name)
         && folded_host[folded_host.size() - folded_name.size() - 1] == '.';
}

std::string with_scheme(std::string_view proxy) {
  if (proxy.find("://") != std::string_view::npos)
    return std::string{proxy};
  return "http://" + std::string{proxy};
}

/// The domain and its parents down to (not including) the top-level domain.
void add_devolved(std::vector<std::string>& out, std::string_view domain) {
  auto name = fold_case(trim_blanks_and_line_breaks(domain));
  while (!name.empty() && name.back() == '.')
    name.pop_back();
  while (name.find('.') != std::string::npos) {
    auto url = "http://wpad." + name + "/wpad.dat";
    if (std::find(out.begin(), out.end(), url) == out.end())
      out.push_back(std::move(url));
    name = name.substr(name.find('.') + 1);
  }
}

} // namespace

proxy_environment proxy_environment_of(const std::vector<std::string>& entries) {
  proxy_environment env;
  std::array<bool, 3> lower_seen{};
  for (auto& entry : entries) {
    auto eq = entry.find('=');
    if (eq != std::string::npos)
      take(env, lower_seen, std::string_view{entry}.substr(0, eq),
           std::string_view{entry}.substr(eq + 1));
  }
  return env;
}

proxy_environment parse_etc_environment(std::string_view text) {
  proxy_environment env;
  std::array<bool, 3> lower_seen{};
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = trim_blanks_and_line_breaks(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.empty() || line.front() == '#')
      continue;
    if (line.starts_with("export ") || line.starts_with("export\t"))
      line = trim_blanks_and_line_breaks(line.substr(7));
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      continue;
    auto name = trim_blanks_and_line_breaks(line.substr(0, eq));
    auto value = trim_blanks_and_line_breaks(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')
        && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    take(env, lower_seen, name, value);
  }
  return env;
}

proxy_environment merge_environments(const proxy_environment& service,
                                     const proxy_environment& etc) {
  return {service.https_proxy ? service.https_proxy : etc.https_proxy,
          service.http_proxy ? service.http_proxy : etc.http_proxy,
          service.no_proxy ? service.no_proxy : etc.no_proxy};
}

std::optional<std::string> system_proxy_for(const proxy_environment& env,
                                            std::string_view scheme, std::string_view host,
                                            uint16_t port) {
  if (env.no_proxy && no_proxy_matches(*env.no_proxy, host, port))
    return std::nullopt;
  const auto& chosen = iequals(scheme, "https") && env.https_proxy ? env.https_proxy
                                                                     : env.http_proxy;
  if (!chosen || trim_blanks_and_line_breaks(*chosen).empty())
    return std::nullopt;
  return with_scheme(trim_blanks_and_line_breaks(*chosen));
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, uint16_t port) {
  auto host_address = parse_address(host);
  while (!no_proxy.empty()) {
    auto end = no_proxy.find_first_of(", \t");
    auto entry = trim_blanks_and_line_breaks(no_proxy.substr(0, end));
    no_proxy = end == std::string_view::npos ? std::string_view{} : no_proxy.substr(end + 1);
    if (!entry.empty() && entry_matches(entry, host, host_address, port))
      return true;
  }
  return false;
}

std::vector<std::string> resolv_conf_domains(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = trim_blanks_and_line_breaks(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    bool search = line.starts_with("search") && line.size() > 6 && is_blank_or_line_break(line[6]);
    bool domain = line.starts_with("domain") && line.size() > 6 && is_blank_or_line_break(line[6]);
    if (!search && !domain)
      continue;
    auto rest = trim_blanks_and_line_breaks(line.substr(6));
    while (!rest.empty()) {
      auto stop = rest.find_first_of(" \t");
      auto name = fold_case(rest.substr(0, stop));
      rest = stop == std::string_view::npos ? std::string_view{}
                                            : trim_blanks_and_line_breaks(rest.substr(stop));
      while (!name.empty() && name.back() == '.')
        name.pop_back();
      if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end())
        out.push_back(std::move(name));
    }
  }
  return out;
}

std::vector<std::string> wpad_candidates(std::string_view fqdn,
                                         const std::vector<std::string>& search_domains) {
  std::vector<std::string> out;
  auto name = trim_blanks_and_line_breaks(fqdn);
  if (auto dot = name.find('.'); dot != std::string_view::npos)
    add_devolved(out, name.substr(dot + 1));
  for (auto& domain : search_domains)
    add_devolved(out, domain);
  return out;
}

} // namespace vigil
