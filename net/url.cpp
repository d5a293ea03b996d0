#include "net/url.hpp"

#include <arpa/inet.h>
#include <charconv>

#include "common/error.hpp"
#include "host/text_encoding.hpp"

namespace vigil {

namespace {

caf::error bad_url(std::string_view text, std::string_view why) {
  return make_error(ec::invalid_argument,
                    "invalid URL '" + std::string{text} + "': " + std::string{why});
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
  url result;
  std::string_view rest = text;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
    rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t'))
    rest.remove_suffix(1);
  if (auto sep = rest.find("://"); sep != std::string_view::npos) {
    result.scheme = fold_case(rest.substr(0, sep));
    rest.remove_prefix(sep + 3);
  } else {
    result.scheme = "http";
  }
  if (result.scheme != "http" && result.scheme != "https")
    return bad_url(text, "the scheme must be http or https");
  auto path_start = rest.find_first_of("/?");
  auto authority = rest.substr(0, path_start);
  result.target = path_start == std::string_view::npos ? "/" : std::string{rest.substr(path_start)};
  if (result.target.front() == '?')
    result.target.insert(result.target.begin(), '/');
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    auto userinfo = authority.substr(0, at);
    auto colon = userinfo.find(':');
    result.username = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos)
      result.password = percent_decode(userinfo.substr(colon + 1));
    authority.remove_prefix(at + 1);
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return bad_url(text, "unterminated '[' in the host");
    result.host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return bad_url(text, "unexpected text after ']'");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    result.host = authority.substr(0, colon);
    if (colon != std::string_view::npos)
      port_text = authority.substr(colon + 1);
  }
  if (result.host.empty())
    return bad_url(text, "no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [ptr, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (err != std::errc{} || ptr != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return bad_url(text, "invalid port '" + std::string{port_text} + "'");
    result.port = static_cast<uint16_t>(port);
  } else {
    result.port = result.scheme == "https" ? 443 : 80;
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
