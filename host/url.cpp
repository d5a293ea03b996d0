#include "host/url.hpp"

#ifdef _WIN32
#include <ws2tcpip.h> // inet_pton
#else
#include <arpa/inet.h>
#endif
#include <cctype>
#include <charconv>

#include "common/error.hpp"
#include "common/text.hpp"
#include "host/command_line.hpp"

namespace vigil {

namespace {

bool valid_host_name(std::string_view host) noexcept {
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
      return false;
  return true;
}

bool valid_ipv6_literal(std::string_view host) noexcept {
  if (host.find(':') == std::string_view::npos)
    return false;
  for (char c : host)
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
      return false;
  return true;
}

/// Where the authority of `text` starts (after `scheme://`, or 0) and ends
/// (the first `/`, `?` or `#` after it, or the end). A `://` after the first
/// `/`, `?` or `#` belongs to the path or query, not to a scheme.
std::pair<size_t, size_t> authority_bounds(std::string_view text) noexcept {
  size_t start = 0;
  auto sep = text.find("://");
  if (sep != std::string_view::npos && sep < text.find_first_of("/?#"))
    start = sep + 3;
  auto end = text.find_first_of("/?#", start);
  return {start, end == std::string_view::npos ? text.size() : end};
}

std::string percent_decode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    unsigned value = 0;
    if (in[i] == '%' && i + 2 < in.size()
        && std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16).ptr == in.data() + i + 3) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

} // namespace

caf::expected<url_parts> parse_url_parts(std::string_view text) {
  url_parts parts;
  text = trim_blanks(text);
  if (text.empty())
    return invalid_argument_error("empty URL");
  for (char c : text)
    if (is_control(c) || c == ' ')
      return invalid_argument_error("contains whitespace or a control character");
  auto [start, end] = authority_bounds(text);
  if (start > 0) {
    parts.scheme = fold_case(text.substr(0, start - 3));
    if (parts.scheme != "http" && parts.scheme != "https")
      return invalid_argument_error("the scheme must be http or https");
  }
  auto authority = text.substr(start, end - start);
  parts.path = std::string{text.substr(end)};
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    parts.has_userinfo = true;
    parts.userinfo = std::string{authority.substr(0, at)};
    authority.remove_prefix(at + 1);
  }
  std::string_view port_text;
  bool port_written = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return invalid_argument_error("unterminated '[' in the host");
    parts.host = std::string{authority.substr(1, close - 1)};
    if (!valid_ipv6_literal(parts.host))
      return invalid_argument_error("invalid IPv6 address in brackets");
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return invalid_argument_error("unexpected text after ']'");
      port_text = after.substr(1);
      port_written = true;
    }
  } else {
    auto colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos)
      return invalid_argument_error("an IPv6 address must be written in brackets: [::1]:8080");
    parts.host = std::string{authority.substr(0, colon)};
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      port_written = true;
    }
    if (!parts.host.empty() && !valid_host_name(parts.host))
      return invalid_argument_error("invalid character in the host name");
  }
  if (parts.host.empty())
    return invalid_argument_error("no host");
  if (port_written) {
    unsigned port = 0;
    auto [ptr, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || err != std::errc{} || ptr != port_text.data() + port_text.size()
        || port == 0 || port > 65535)
      return invalid_argument_error("the port must be a number from 1 to 65535");
    parts.port = static_cast<uint16_t>(port);
  }
  return parts;
}

std::string mask_userinfo(std::string_view text) {
  auto [start, end] = authority_bounds(text);
  auto at = text.substr(start, end - start).rfind('@');
  if (at == std::string_view::npos)
    return std::string{text};
  return std::string{text.substr(0, start)} + "***" + std::string{text.substr(start + at)};
}

std::string url::authority() const {
  auto shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return shown + ":" + std::to_string(port);
}

std::string url::to_string() const {
  return scheme + "://" + authority() + (target == "/" ? "" : target);
}

bool url::host_is_ip() const {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

caf::expected<url> parse_url(std::string_view text) {
  auto parts = parse_url_parts(text);
  if (!parts)
    return make_error(ec::invalid_argument,
                      "invalid URL '" + printable(text) + "': " + context_of(parts.error()));
  url result;
  result.scheme = parts->scheme.empty() ? "http" : parts->scheme;
  result.host = std::move(parts->host);
  result.port = parts->port.value_or(result.scheme == "https" ? 443 : 80);
  std::string_view target = parts->path;
  target = target.substr(0, target.find('#')); // never sent (RFC 9110 §7.1)
  result.target = target.empty() || target.front() != '/' ? "/" + std::string{target}
                                                          : std::string{target};
  if (parts->has_userinfo) {
    std::string_view userinfo = parts->userinfo;
    auto colon = userinfo.find(':');
    result.username = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos)
      result.password = percent_decode(userinfo.substr(colon + 1));
  }
  return result;
}

std::string join_target(const url& base, std::string_view path) {
  std::string target = base.target;
  auto query = target.find('?');
  if (query != std::string::npos)
    target.resize(query);
  if (target.empty() || target.back() != '/')
    target += '/';
  while (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  return target + std::string{path};
}

} // namespace vigil
