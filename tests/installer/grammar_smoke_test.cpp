// Random command lines built from the grammar's own pieces: the parsers never
// crash, every error is an `invalid_argument` with one short line, and a
// password given as a proper /p value never appears in any error.

#include <doctest/doctest.h>
#include <random>

#include "common/error.hpp"
#include "host/command_line.hpp"
#include "host/proxy_grammar.hpp"
#include "installer/setup_args.hpp"
#include "installer/uninstall_args.hpp"

using namespace vigil;

namespace {

constexpr std::string_view secret = "Hunter2 Zq99";

template <class T>
void check_result(const caf::expected<T>& result) {
  if (result)
    return;
  CHECK(code_of(result.error()) == ec::invalid_argument);
  auto reason = context_of(result.error());
  CHECK(reason.find('\n') == std::string::npos);
  CHECK(reason.size() < 600);
  CHECK(reason.find("Hunter2") == std::string::npos);
  CHECK(reason.find("Zq99") == std::string::npos);
}

/// `count` pieces drawn from `pieces`, joined by `separator`.
std::string draw(std::mt19937& random, const std::vector<std::string>& pieces, int count,
                 std::string_view separator) {
  std::uniform_int_distribution<size_t> pick{0, pieces.size() - 1};
  std::string out;
  for (int i = 0; i < count; ++i) {
    if (i > 0)
      out += separator;
    out += pieces[pick(random)];
  }
  return out;
}

} // namespace

TEST_CASE("random byte soup: no crash, every error one short line") {
  const std::vector<std::string> pieces{
    "CustomerId=", "ActivationId=", "WebServiceUri=", "Proxy=", "CaBundle=", "GoldenImage=",
    "PatchInstall=", "AllowDowngrade=", "Extract=", "Dir=", "Uninstall=", "Force=", "SPFKEY=",
    "customerid=", "{12345678-1234-1234-1234-123456789012}", "{1234}", "https://h:8443/CloudAgent/",
    "http://p1:8080", "p2:3128", "[::1]:1", "TRUE", "false", "deb", "AUTO", "/u ", "/n ", "/a ",
    "/p ", "/x", " ", " ", "\t", "\"", "\\\"", "\\", ";", "=", ":", "@", "bob", "/?", "-", "\n",
    "\x01", "\xff", "/tmp/d", std::string(150, 'x')};
  std::mt19937 random{20240917};
  std::uniform_int_distribution<int> length{0, 14};
  for (int round = 0; round < 20000; ++round) {
    auto line = draw(random, pieces, length(random), "");
    CAPTURE(line);
    check_result(split_command_line(line));
    check_result(parse_setup_command_line(line));
    check_result(parse_uninstall_command_line(line));
    check_result(parse_proxy_option(line));
    if (auto args = split_command_line(line)) {
      check_result(parse_setup_args(*args));
      check_result(parse_uninstall_args(*args));
    }
  }
}

TEST_CASE("random well-formed lines: a quoted /p password never appears in an error") {
  // Proxy values: space-separated proxy pieces, the password always one quoted
  // /p value; setup lines: space-separated setup pieces around Proxy="...".
  const std::string password_arg = "/p " + quote_argument(secret);
  const std::vector<std::string> proxy_pieces{
    "/u", "/n", "/a", "/p", "/U", "-n", "/x", "bob", "http://p1:8080", "p1:8080;p2:3128",
    "ftp://p", "http://u:Hunter2@p:1", "http://pac/x.pac", "extra", ";", "\"\"", password_arg,
    password_arg};
  const std::vector<std::string> setup_pieces{
    "CustomerId={12345678-1234-1234-1234-123456789012}", "ActivationId={1234}",
    "WebServiceUri=https://h/", "GoldenImage=maybe", "PatchInstall=TRUE", "Extract=64", "Dir=/d",
    "Foo=1", "stray", "/p", "Uninstall=True", "Force=yes", "CustomerId="};
  std::mt19937 random{7};
  std::uniform_int_distribution<int> length{0, 7};
  std::uniform_int_distribution<int> coin{0, 1};
  for (int round = 0; round < 20000; ++round) {
    auto proxy = draw(random, proxy_pieces, length(random), " ");
    CAPTURE(proxy);
    check_result(parse_proxy_option(proxy));
    auto setup = draw(random, setup_pieces, length(random), " ");
    auto line = coin(random) ? setup + " Proxy=" + quote_argument(proxy)
                             : "Proxy=" + quote_argument(proxy) + " " + setup;
    CAPTURE(line);
    check_result(parse_setup_command_line(line));
    auto spf = draw(random, setup_pieces, length(random), " ") + " SPFKEY="
               + quote_argument(secret) + " " + draw(random, setup_pieces, length(random), " ");
    CAPTURE(spf);
    check_result(parse_uninstall_command_line(spf));
  }
}
