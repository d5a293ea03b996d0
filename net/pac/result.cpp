#include "net/pac/result.hpp"

#include <algorithm>
#ifdef _WIN32
#include <ws2tcpip.h> // inet_pton, as host/url.cpp
#else
#include <arpa/inet.h>
#endif
#include <cctype>
#include <charconv>

#include "common/error.hpp"
#include "common/text.hpp"

namespace vigil {

namespace {

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253)
    return false;
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == '_';
  });
}

bool valid_ipv6(std::string_view host) {
  in6_addr ignored;
  return inet_pton(AF_INET6, std::string{host}.c_str(), &ignored) == 1;
}

/// Checks "host[:port]" / "[v6][:port]" and returns "host:port" (brackets
/// kept), or an empty string with `why` set.
std::string normalize_authority(std::string_view authority, uint16_t default_port,
                                std::string& why) {
  std::string_view host;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "unterminated IPv6 address";
      return {};
    }
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        why = "junk after the IPv6 address";
        return {};
      }
      port_text = rest.substr(1);
      if (port_text.empty()) {
        why = "empty port";
        return {};
      }
    }
    if (!valid_ipv6(host)) {
      why = "invalid IPv6 address";
      return {};
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(':') != colon) {
      why = "IPv6 address without brackets";
      return {};
    }
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) {
        why = "empty port";
        return {};
      }
    }
    if (!valid_host_name(host)) {
      why = "invalid host name";
      return {};
    }
  }
  unsigned port = default_port;
  if (!port_text.empty()) {
    auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc{} || end != port_text.data() + port_text.size() || port == 0
        || port > 65535) {
      why = "invalid port '" + std::string{port_text} + "'";
      return {};
    }
  }
  auto bracketed = authority.starts_with('[') ? "[" + std::string{host} + "]" : std::string{host};
  return bracketed + ":" + std::to_string(port);
}

} // namespace

caf::expected<pac_result> parse_pac_result(std::string_view text) {
  pac_result result;
  result.text = std::string{text};
  if (trim_blanks_and_line_breaks(text).empty()) {
    result.routes.push_back({pac_route::direct, {}});
    return result;
  }
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(';', start);
    if (end == std::string_view::npos)
      end = text.size();
    auto entry = trim_blanks_and_line_breaks(text.substr(start, end - start));
    start = end + 1;
    if (entry.empty())
      continue; // "PROXY a:1;" and "a;;b" are common and harmless
    auto gap = std::find_if(entry.begin(), entry.end(), is_blank_or_line_break) - entry.begin();
    auto keyword = fold_case(entry.substr(0, static_cast<size_t>(gap)));
    auto argument = trim_blanks_and_line_breaks(entry.substr(static_cast<size_t>(gap)));
    auto malformed = [&](const std::string& why) {
      return make_error(ec::parse_error, "PAC answer entry '" + std::string{entry} + "': " + why);
    };
    if (keyword == "direct") {
      if (!argument.empty())
        return malformed("DIRECT takes no argument");
      result.routes.push_back({pac_route::direct, {}});
      continue;
    }
    bool http = keyword == "proxy" || keyword == "http";
    bool https = keyword == "https";
    bool socks = keyword == "socks" || keyword == "socks4" || keyword == "socks5";
    if (!http && !https && !socks)
      return malformed("unknown keyword '" + std::string{entry.substr(0, static_cast<size_t>(gap))}
                       + "' (expected DIRECT, PROXY, HTTP, HTTPS, SOCKS, SOCKS4 or SOCKS5)");
    if (argument.empty())
      return malformed("missing host:port");
    if (std::any_of(argument.begin(), argument.end(), is_blank_or_line_break))
      return malformed("more than one host:port (entries are separated by ';')");
    std::string why;
    auto authority = normalize_authority(argument, http ? 80 : https ? 443 : 1080, why);
    if (authority.empty())
      return malformed(why);
    if (socks) {
      result.skipped.push_back({std::string{entry}, "SOCKS proxies are not supported"});
      continue;
    }
    if (https) {
      result.skipped.push_back(
        {std::string{entry}, "HTTPS proxies (TLS to the proxy) are not supported"});
      continue;
    }
    result.routes.push_back({pac_route::proxy, "http://" + authority});
  }
  if (result.routes.empty()) {
    std::string why;
    for (auto& skipped : result.skipped)
      why += (why.empty() ? "" : "; ") + skipped.entry + " (" + skipped.reason + ")";
    return make_error(ec::parse_error, "PAC answer '"
                                         + std::string{trim_blanks_and_line_breaks(text)}
                                         + "' leaves no usable route: " + why);
  }
  return result;
}

caf::expected<std::string> pac_host_of(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0)
    return make_error(ec::invalid_argument, "URL '" + std::string{url} + "' has no scheme://");
  auto rest = url.substr(scheme_end + 3);
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  std::string_view host;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return make_error(ec::invalid_argument,
                        "URL '" + std::string{url} + "' has an unterminated IPv6 address");
    host = authority.substr(1, close - 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  if (host.empty())
    return make_error(ec::invalid_argument, "URL '" + std::string{url} + "' has no host");
  return fold_case(host);
}

} // namespace vigil
