// Fuzz target: proxy arguments. The input is setup's `Proxy=` value (one
// string for parse_proxy_option) and an argv, one argument per line, for
// parse_proxy_option and vigil-proxy's parse_proxy_command; every line is also
// a URL for parse_url_parts and mask_userinfo.
// Properties: no crash; errors never contain the password nor the argument
// after it (a canary is appended to each argument `follows_secret` flags, and
// to the one after a `/p` password); to_display_string does not depend on the password;
// mask_userinfo leaves no userinfo behind.

#include "common/error.hpp"
#include "fuzz/fuzz_support.hpp"
#include "host/proxy_grammar.hpp"
#include "tools/proxy_command.hpp"

namespace {

using namespace vigil;

bool looks_like_option(std::string_view arg) noexcept {
  return !arg.empty() && (arg[0] == '/' || arg[0] == '-');
}

bool is_password_option(std::string_view arg) noexcept {
  return arg == "/p" || arg == "/P" || arg == "-p" || arg == "-P";
}

/// `args` with the canary appended to each argument `follows_secret` flags (as
/// the parser sees it: after the marking of the one before) and to the
/// argument after a `/p` password. Arguments that start like an option are
/// left alone: the grammars read them as options (`/http://...` as `/a`).
std::vector<std::string> mark_secrets(const std::vector<std::string>& args) {
  auto marked = args;
  for (size_t i = 1; i < args.size(); ++i) {
    if (!follows_secret(marked[i - 1]) || looks_like_option(args[i]))
      continue;
    marked[i] += fuzz::secret_canary;
    if (is_password_option(args[i - 1]) && i + 1 < args.size() && !looks_like_option(args[i + 1]))
      marked[i + 1] += fuzz::secret_canary;
  }
  return marked;
}

void check_option(const caf::expected<proxy_option>& option, bool input_has_canary,
                  const char* what) {
  if (!option) {
    fuzz::check(input_has_canary || !fuzz::has_canary(render(option.error())), what);
    return;
  }
  fuzz::check(option->proxy_urls.empty() != !option->pac_url, "one of /u and /a");
  if (option->password) {
    auto other = *option;
    other.password = "other password";
    fuzz::check(to_display_string(other) == to_display_string(*option),
                "to_display_string does not show the password");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  bool input_has_canary = fuzz::has_canary(text);
  if (auto option = parse_proxy_option(text); option && option->password) {
    auto other = *option;
    other.password = "other password";
    fuzz::check(to_display_string(other) == to_display_string(*option),
                "to_display_string does not show the password");
  }
  auto args = fuzz::split_lines(text);
  auto marked = mark_secrets(args);
  check_option(parse_proxy_option(marked), input_has_canary,
               "proxy option errors never quote a secret");
  auto command = parse_proxy_command(marked);
  if (!command)
    fuzz::check(input_has_canary || !fuzz::has_canary(render(command.error())),
                "vigil-proxy errors never quote a secret");
  for (const auto& arg : args) {
    (void)parse_url_parts(arg);
    auto masked = mask_userinfo(arg);
    if (auto parts = parse_url_parts(masked); parts && parts->has_userinfo) {
      auto at = masked.find('@');
      fuzz::check(at != std::string::npos && masked.find("***@") != std::string::npos,
                  "mask_userinfo masks the userinfo");
    }
  }
  return 0;
}
