#include "tools/proxy_command.hpp"

#include <cctype>

#include "common/error.hpp"
#include "host/command_line.hpp"
#include "host/secret_box.hpp"
#include "host/text_encoding.hpp"

namespace vigil {

namespace {

caf::error invalid(std::string reason) {
  return make_error(ec::invalid_argument, std::move(reason));
}

/// The letter of a vigil-proxy option (`/u`, `-W`, ...), lower case, or 0.
char option_letter(std::string_view arg) noexcept {
  if (arg.size() != 2 || (arg[0] != '/' && arg[0] != '-'))
    return 0;
  char letter = static_cast<char>(std::tolower(static_cast<unsigned char>(arg[1])));
  return std::string_view{"unpawhedct"}.find(letter) != std::string_view::npos ? letter : 0;
}

/// The URL of the guide's example 5 spelling `/http://server/file.pac`, or "".
std::string_view slash_url(std::string_view arg) noexcept {
  if (arg.size() < 2 || arg[0] != '/')
    return {};
  auto rest = arg.substr(1);
  auto scheme = fold_case(rest.substr(0, 8));
  return scheme.starts_with("http://") || scheme.starts_with("https://") ? rest
                                                                          : std::string_view{};
}

caf::expected<bool> on_off(char letter, std::string_view value) {
  if (iequals(value, "on"))
    return true;
  if (iequals(value, "off"))
    return false;
  return invalid(std::string{"/"} + letter + " takes on or off, not '" + printable(value) + "'");
}

} // namespace

caf::expected<proxy_command> parse_proxy_command(const std::vector<std::string>& args) {
  proxy_command command;
  if (args.empty())
    return invalid("no option given");
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "/?" || args[0] == "-?")) {
    command.help = true;
    return command;
  }
  std::vector<std::string> proxy_args; // the /u /n /p /a part, for parse_proxy_option
  std::string seen;
  bool after_password = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    char letter = option_letter(arg);
    std::string value_from_slash;
    if (letter == 0) {
      if (auto pac = slash_url(arg); !pac.empty()) {
        letter = 'a';
        value_from_slash = std::string{pac};
      } else if (after_password) {
        return invalid("unexpected argument after the /p password (not shown; quote a password "
                       "that contains spaces)");
      } else if (i > 0 && follows_secret(args[i - 1])) {
        // The previous argument ends with " /p" (options quoted as one): this
        // one may be the password.
        return invalid("unexpected argument after one that ends with /p (not shown: it may be "
                       "a password; give each option and value as its own argument)");
      } else if (arg == "--help" || arg == "/?" || arg == "-?") {
        return invalid("--help stands alone");
      } else if (!arg.empty() && (arg[0] == '/' || arg[0] == '-')) {
        return invalid("unknown option '" + printable(arg)
                       + "' (the options are /u /n /p /a /w /h /e /d /c /t; --help shows the usage)");
      } else {
        return invalid("unexpected argument '" + printable(arg)
                       + "' (option values that contain spaces must be quoted)");
      }
    }
    after_password = false;
    std::string name{"/"};
    name += letter;
    if (seen.find(letter) != std::string::npos)
      return invalid(name + " given twice");
    seen += letter;
    if (letter == 'd' || letter == 'c') {
      (letter == 'd' ? command.remove : command.show) = true;
      continue;
    }
    std::string value;
    if (!value_from_slash.empty()) {
      value = value_from_slash;
    } else {
      if (i + 1 >= args.size() || option_letter(args[i + 1]) != 0)
        return invalid(name + " needs a value");
      value = args[++i];
    }
    switch (letter) {
      case 'w':
      case 'h':
      case 'e':
      case 't': {
        auto flag = on_off(letter, value);
        if (!flag)
          return flag.error();
        (letter == 'w'   ? command.wpad
         : letter == 'h' ? command.system_proxy
         : letter == 'e' ? command.credentials_to_any
                         : command.direct) = *flag;
        break;
      }
      default: // u n p a
        proxy_args.push_back(name);
        proxy_args.push_back(std::move(value));
        after_password = letter == 'p';
    }
  }
  if (command.remove && seen.size() > 1)
    return invalid("/d deletes all of the agent's proxy settings and stands alone");
  if (!proxy_args.empty()) {
    auto option = parse_proxy_option(proxy_args);
    if (!option)
      return option.error();
    command.proxy = std::move(*option);
  }
  return command;
}

caf::expected<proxy_config> apply_proxy_command(const proxy_command& command, hive_store& hive,
                                                const paths& p) {
  if (!command.changes())
    return load_proxy_config(hive);
  std::optional<std::string> sealed;
  if (command.proxy && command.proxy->password) {
    auto box = secret_box::open(p);
    if (!box)
      return make_error(code_of(box.error()),
                        "cannot open the host key to encrypt the password (vigil-proxy must run "
                        "as root): " + context_of(box.error()));
    auto done = box->seal(*command.proxy->password, proxy_password_purpose);
    if (!done)
      return done.error();
    sealed = std::move(*done);
  }
  return update_proxy_config(hive, [&](proxy_config& config) -> caf::expected<void> {
    if (command.remove) {
      config = proxy_config{};
      return {};
    }
    if (command.proxy) {
      config.proxy_urls = command.proxy->proxy_urls;
      config.pac_url = command.proxy->pac_url;
      config.username = command.proxy->username;
      config.sealed_password = sealed;
    }
    if (command.wpad)
      config.wpad = *command.wpad;
    if (command.system_proxy)
      config.system_proxy = *command.system_proxy;
    if (command.direct)
      config.direct_fallback = *command.direct;
    if (command.credentials_to_any)
      config.credentials_to_any = *command.credentials_to_any;
    return {};
  });
}

std::string render_proxy_config(const proxy_config& config) {
  auto on = [](bool b) { return std::string{b ? "on" : "off"}; };
  std::string urls;
  for (auto& u : config.proxy_urls)
    urls += (urls.empty() ? "" : ";") + mask_userinfo(u);
  std::string out;
  out += "Proxy URLs (/u):                  " + (urls.empty() ? "(none)" : urls) + "\n";
  out += "PAC file URL (/a):                "
         + (config.pac_url ? mask_userinfo(*config.pac_url) : "(none)") + "\n";
  out += "Username (/n):                    "
         + (config.username ? *config.username : "(none)") + "\n";
  out += "Password (/p):                    "
         + std::string{config.sealed_password ? "set (encrypted)" : "not set"} + "\n";
  out += "Use WPAD (/w):                    " + on(config.wpad) + "\n";
  out += "Use system proxy settings (/h):   " + on(config.system_proxy) + "\n";
  out += "Direct after proxies fail (/t):   " + on(config.direct_fallback) + "\n";
  out += "Credentials to every proxy (/e):  " + on(config.credentials_to_any) + "\n";
  return out;
}

std::string proxy_usage() {
  return R"(vigil-proxy [--root DIR] OPTIONS
  Sets the Vigil agent's proxy configuration (SPEC §10). The running agent uses
  a change at its next request, without a restart.

  /u <url1;url2;...> [/n <user>] [/p <password>]
        proxies to try in order (http://host:port, https://host:port, host:port);
        replaces the proxy list or PAC URL and the credentials as a whole (a user
        name or password not given again is removed)
  /a <PAC file URL> [/n <user>] [/p <password>]
        a PAC file chooses the proxies; /u and /a exclude each other
  /w on|off   use WPAD (http://wpad.<domain>/wpad.dat) (default off)
  /h on|off   use the system proxy settings: https_proxy, http_proxy, no_proxy
              of the service environment and /etc/environment (default off)
  /t on|off   connect directly after every proxy failed (default on)
  /e on|off   send the /n /p credentials to every proxy, also those named by
              WPAD, a PAC file fetched over plain http or the system settings
              (default off: only to the /u proxies and those of an https /a PAC)
  /d          delete all of the agent's proxy settings (back to the defaults)
  /c          print the current settings (never the password)

  /p -       reads the password from standard input (one line; not echoed at
              a terminal): a password on the command line is visible to every
              local user in /proc while vigil-proxy runs

  Options are case-insensitive and may start with - instead of /. Quote values
  that contain spaces; \" is a literal quote. One user name and password apply
  to every proxy; the password is stored encrypted with this host's key, which
  only root can read, so vigil-proxy must run as root to set it.
  --root DIR (or VIGIL_ROOT) works on the tree under DIR instead of /.

  Exit codes: 0 success; 1 the settings could not be read or written; 2 bad
  arguments. On any error the settings are unchanged.
)";
}

} // namespace vigil
