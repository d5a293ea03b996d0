// Fuzz target: installer arguments. The input is both one command line (as
// deployment tools pass it: split_command_line, then vigil-setup's and
// vigil-uninstall's grammars) and an argv, one argument per line.
// Properties: no crash; quote_argument inverts split_command_line; printable
// output is one bounded line; errors and log lines never contain a secret (a
// canary is appended to SPFKEY values and to every argument `follows_secret`
// flags; an input that contains the canary, also once unquoted, is exempt);
// to_log_string does not depend on the password or SPFKEY.

#include <cctype>

#include "common/error.hpp"
#include "fuzz/fuzz_support.hpp"
#include "host/command_line.hpp"
#include "installer/setup_args.hpp"
#include "installer/uninstall_args.hpp"

namespace {

using namespace vigil;

bool is_option(std::string_view arg) noexcept {
  return arg.size() == 2 && (arg[0] == '/' || arg[0] == '-');
}

bool starts_with_key(std::string_view arg, std::string_view key) noexcept {
  if (arg.size() <= key.size() || arg[key.size()] != '=')
    return false;
  for (size_t i = 0; i < key.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(arg[i])) != std::tolower(static_cast<unsigned char>(key[i])))
      return false;
  return true;
}

/// Whether `arg` is `Key=...` with a key of setup's or uninstall's grammar.
bool has_known_key(std::string_view arg) noexcept {
  for (std::string_view key : {"CustomerId", "ActivationId", "WebServiceUri", "Proxy", "CaBundle",
                               "TrustKey", "GoldenImage", "PatchInstall", "AllowDowngrade",
                               "SelfPatch", "Extract", "Dir", "Uninstall", "Force", "SPFKEY"})
    if (starts_with_key(arg, key))
      return true;
  return false;
}

/// `args` with the canary appended to every argument that may carry a secret:
/// SPFKEY values, and what follows a `Proxy=` or SPFKEY argument unless it is
/// a key of the grammar (errors may quote a known key's value; the grammar
/// withholds only arguments it cannot place, see `key_value_argument`).
std::vector<std::string> mark_secrets(const std::vector<std::string>& args) {
  auto marked = args;
  for (size_t i = 0; i < args.size(); ++i) {
    bool secret = starts_with_key(args[i], "SPFKEY")
                  || (i > 0 && follows_secret(args[i - 1]) && !is_option(args[i])
                      && !has_known_key(args[i]));
    if (secret)
      marked[i] += fuzz::secret_canary;
  }
  return marked;
}

/// `text` without its double quotes and backslashes: everything quote
/// removal can make of it (split_command_line removes only those, and setup
/// applies it twice to a quoted `Proxy="..."` value), so a canary in it came
/// from the input, not from `mark_secrets` (`Zq7"Secret"Canary` is the
/// canary once unquoted, though the raw bytes do not contain it).
std::string without_quoting(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text)
    if (c != '"' && c != '\\')
      out += c;
  return out;
}

void check_split(std::string_view line) {
  auto args = split_command_line(line);
  if (!args)
    return;
  std::string joined;
  for (const auto& arg : *args) {
    joined += quote_argument(arg);
    joined += ' ';
    auto shown = printable(arg);
    fuzz::check(shown.size() <= 4 * 120 + 3, "printable is bounded");
    for (unsigned char c : shown)
      fuzz::check(c >= 0x20 && c != 0x7f, "printable has no control characters");
  }
  auto again = split_command_line(joined);
  fuzz::check(again && *again == *args, "quote_argument inverts split_command_line");
}

void check_setup(const std::vector<std::string>& args, bool input_has_canary) {
  auto request = parse_setup_args(mark_secrets(args));
  if (!request) {
    fuzz::check(input_has_canary || !fuzz::has_canary(render(request.error())),
                "setup errors never quote a secret");
    return;
  }
  auto log = to_log_string(*request);
  if (request->proxy && request->proxy->password) {
    auto other = *request;
    other.proxy->password = "other password";
    fuzz::check(to_log_string(other) == log, "setup's log line does not show the password");
  }
}

void check_uninstall(const std::vector<std::string>& args, bool input_has_canary) {
  auto request = parse_uninstall_args(mark_secrets(args));
  if (!request) {
    fuzz::check(input_has_canary || !fuzz::has_canary(render(request.error())),
                "uninstall errors never quote the SPFKEY");
    return;
  }
  auto log = to_log_string(*request);
  if (request->spf_key) {
    auto other = *request;
    other.spf_key = "other key";
    fuzz::check(to_log_string(other) == log, "uninstall's log line does not show the SPFKEY");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  bool input_has_canary = fuzz::has_canary(without_quoting(text));
  check_split(text);
  (void)parse_setup_command_line(text);
  (void)parse_uninstall_command_line(text);
  auto args = fuzz::split_lines(text);
  check_setup(args, input_has_canary);
  check_uninstall(args, input_has_canary);
  for (const auto& arg : args)
    (void)is_help_argument(arg);
  return 0;
}
