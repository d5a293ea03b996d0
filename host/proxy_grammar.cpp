#include "host/proxy_grammar.hpp"

#include <cctype>

#include "common/error.hpp"
#include "common/text.hpp"
#include "host/command_line.hpp"
#include "host/text_encoding.hpp"

namespace vigil {

namespace {

bool has_control(std::string_view text) noexcept {
  for (char c : text)
    if (is_control(c))
      return true;
  return false;
}

/// The letter of one of the proxy options (`/u`, `-N`, ...), or 0.
char option_letter(std::string_view arg) noexcept {
  if (arg.size() != 2 || (arg[0] != '/' && arg[0] != '-'))
    return 0;
  char letter = static_cast<char>(std::tolower(static_cast<unsigned char>(arg[1])));
  return letter == 'u' || letter == 'n' || letter == 'p' || letter == 'a' ? letter : 0;
}

/// The URL quoted for an error message, credentials masked.
std::string quoted_url(std::string_view text) {
  return "'" + printable(text) + "'";
}

caf::expected<void> check_proxy_url(std::string_view item) {
  auto parts = parse_url_parts(item);
  if (!parts)
    return invalid_argument_error("/u: " + quoted_url(item)
                                  + " is not a proxy URL: " + context_of(parts.error()));
  if (parts->has_userinfo)
    return invalid_argument_error("/u: " + quoted_url(item)
                                  + " carries credentials; give them with /n and /p instead");
  if (parts->scheme.empty() && !parts->port)
    return invalid_argument_error("/u: " + quoted_url(item)
                                  + " needs a port (host:port) or a scheme (http://host)");
  if (!parts->path.empty() && parts->path != "/")
    return invalid_argument_error("/u: " + quoted_url(item)
                                  + " has a path; a proxy URL is scheme://host:port");
  return {};
}

caf::expected<std::vector<std::string>> parse_proxy_list(std::string_view list) {
  std::vector<std::string> urls;
  size_t start = 0;
  while (start <= list.size()) {
    auto end = list.find(';', start);
    auto item = trim_blanks_and_line_breaks(
      list.substr(start, end == std::string_view::npos ? list.npos : end - start));
    if (!item.empty()) {
      if (auto ok = check_proxy_url(item); !ok)
        return ok.error();
      urls.emplace_back(item);
    }
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  if (urls.empty())
    return invalid_argument_error("/u: no proxy URL given (a list is url1;url2;...)");
  return urls;
}

caf::expected<void> check_pac_url(std::string_view text) {
  auto parts = parse_url_parts(text);
  if (!parts)
    return invalid_argument_error("/a: " + quoted_url(text)
                                  + " is not a PAC file URL: " + context_of(parts.error()));
  if (parts->scheme.empty())
    return invalid_argument_error("/a: " + quoted_url(text)
                                  + " needs a scheme (http:// or https://)");
  if (parts->has_userinfo)
    return invalid_argument_error("/a: " + quoted_url(text)
                                  + " carries credentials, which are not supported");
  return {};
}

caf::expected<void> check_username(std::string_view name) {
  if (name.empty())
    return invalid_argument_error("/n: the user name is empty");
  if (name.find(':') != std::string_view::npos)
    return invalid_argument_error("/n: a user name cannot contain ':' (HTTP Basic authentication)");
  if (has_control(name))
    return invalid_argument_error("/n: the user name contains a control character");
  return {};
}

} // namespace

caf::expected<proxy_option> parse_proxy_option(std::string_view text) {
  auto args = split_command_line(text);
  if (!args)
    return args.error();
  return parse_proxy_option(*args);
}

caf::expected<proxy_option> parse_proxy_option(const std::vector<std::string>& args) {
  proxy_option result;
  if (args.empty())
    return invalid_argument_error(
      "no proxy options given (/u URL;URL or /a PAC-URL, with /n USER /p PASSWORD)");
  bool after_password = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    char letter = option_letter(arg);
    if (letter == 0) {
      // After a password, or after a value that itself ends like one (`/n
      // "bob /p" Hunter2`: the rest of an unquoted password), the argument may
      // be a secret: it is never quoted (issue 15, defect 10).
      if (after_password || (i > 0 && follows_secret(args[i - 1])))
        return invalid_argument_error("unexpected argument after the /p password (not shown; "
                                      "quote a password that contains spaces)");
      if (!arg.empty() && (arg.front() == '/' || arg.front() == '-'))
        return invalid_argument_error("unknown option '" + printable(arg)
                                      + "' (the options are /u, /n, /p and /a)");
      return invalid_argument_error("unexpected argument '" + printable(arg)
                                    + "' (the options are /u, /n, /p and /a)");
    }
    after_password = false;
    std::string name{"/"};
    name += letter;
    bool given = (letter == 'u' && !result.proxy_urls.empty()) || (letter == 'a' && result.pac_url)
                 || (letter == 'n' && result.username) || (letter == 'p' && result.password);
    if (given)
      return invalid_argument_error(name + " given twice");
    if (i + 1 >= args.size() || option_letter(args[i + 1]) != 0)
      return invalid_argument_error(name + " needs a value");
    const auto& value = args[++i];
    switch (letter) {
      case 'u': {
        auto urls = parse_proxy_list(value);
        if (!urls)
          return urls.error();
        result.proxy_urls = std::move(*urls);
        break;
      }
      case 'a':
        if (auto ok = check_pac_url(value); !ok)
          return ok.error();
        result.pac_url = value;
        break;
      case 'n':
        if (auto ok = check_username(value); !ok)
          return ok.error();
        result.username = value;
        break;
      default: // 'p'
        if (has_control(value))
          return invalid_argument_error("/p: the password contains a control character");
        result.password = value;
        after_password = true;
        break;
    }
  }
  bool list = !result.proxy_urls.empty();
  if (list && result.pac_url)
    return invalid_argument_error(
      "/u and /a exclude each other (a PAC file chooses the proxies itself)");
  if (!list && !result.pac_url)
    return invalid_argument_error(result.username || result.password
                                    ? "/n and /p need /u (proxy URLs) or /a (a PAC file URL)"
                                    : "no proxy given: /u URL;URL or /a PAC-URL");
  if (result.password && !result.username)
    return invalid_argument_error("/p needs /n: a password without a user name");
  return result;
}

std::string to_display_string(const proxy_option& option) {
  std::string out;
  auto add = [&out](std::string_view part) {
    if (!out.empty())
      out += ' ';
    out += part;
  };
  if (!option.proxy_urls.empty()) {
    std::string list;
    for (const auto& url : option.proxy_urls)
      list += (list.empty() ? "" : ";") + mask_userinfo(url);
    add("/u " + list);
  }
  if (option.pac_url)
    add("/a " + mask_userinfo(*option.pac_url));
  if (option.username)
    add("/n " + quote_argument(*option.username));
  if (option.password)
    add("/p ***");
  return out;
}

bool follows_secret(std::string_view previous) {
  auto text = trim_blanks_and_line_breaks(previous);
  if (iequals(text, "/p") || iequals(text, "-p"))
    return true;
  if (text.size() >= 3) {
    auto tail = text.substr(text.size() - 3);
    if (iequals(tail, " /p") || iequals(tail, " -p"))
      return true;
  }
  auto eq = text.find('=');
  if (eq == std::string_view::npos)
    return false;
  auto key = trim_blanks_and_line_breaks(text.substr(0, eq));
  return iequals(key, "Proxy") || iequals(key, "SPFKEY");
}

} // namespace vigil
