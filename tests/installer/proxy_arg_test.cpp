// The proxy grammar as setup's Proxy= uses it (host/command_line, host/proxy_grammar):
// command-line splitting, URL checks and the proxy option grammar (SPEC §10).

#include "host/command_line.hpp"
#include "host/proxy_grammar.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"

using namespace vigil;

namespace {

using strings = std::vector<std::string>;

/// The one-line reason of a failed parse, after checking its code.
template <class T>
std::string reason_of(const caf::expected<T>& result) {
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == ec::invalid_argument);
  auto reason = context_of(result.error());
  CHECK(reason.find('\n') == std::string::npos);
  return reason;
}

} // namespace

TEST_CASE("split_command_line splits like CommandLineToArgvW") {
  struct row {
    std::string line;
    strings args;
  };
  std::vector<row> rows{
    {"", {}},
    {"   \t ", {}},
    {"a b", {"a", "b"}},
    {"  a\t b  ", {"a", "b"}},
    {"a\r\nb\nc", {"a", "b", "c"}},
    {R"("a b" c)", {"a b", "c"}},
    {R"(Dir="/tmp/my dir")", {"Dir=/tmp/my dir"}},
    {R"(a\"b)", {"a\"b"}},
    {R"("a \"b\" c")", {"a \"b\" c"}},
    {R"(a\\b)", {R"(a\\b)"}},      // backslashes not before a quote are literal
    {R"(a\\"b c")", {R"(a\b c)"}}, // 2n backslashes + quote: n backslashes, quote toggles
    {R"(a\\\"b)", {R"(a\"b)"}},    // 2n+1: n backslashes and a literal quote
    {R"(x\)", {R"(x\)"}},
    {R"("")", {""}},
    {R"(a "" b)", {"a", "", "b"}},
    {R"(ab"c d"e)", {"abc de"}},
    {R"(Proxy="/u http://p:1 /p \"pa ss\"")", {R"(Proxy=/u http://p:1 /p "pa ss")"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.line);
    auto args = split_command_line(r.line);
    REQUIRE(args);
    CHECK(*args == r.args);
  }
}

TEST_CASE("split_command_line refuses an unterminated quote without quoting the text") {
  auto reason = reason_of(split_command_line(R"(a /p "Hunter2 Zq99)"));
  CHECK(reason == "unterminated quote: the '\"' at character 6 is never closed");
  CHECK(reason.find("Hunter2") == std::string::npos);
  reason_of(split_command_line(R"(a\\"b)"));
}

TEST_CASE("quote_argument is the inverse of split_command_line") {
  CHECK(quote_argument("plain") == "plain");
  CHECK(quote_argument("") == R"("")");
  CHECK(quote_argument("a b") == R"("a b")");
  CHECK(quote_argument("a\"b") == R"("a\"b")");
  CHECK(quote_argument(R"(C:\dir\ x\)") == R"("C:\dir\ x\\")");
  for (std::string arg : {"", "a", "a b", "a\"b", R"(a\b)", R"(a\"b)", R"(a\ b\)", R"(tail\\)",
                          "x\ty", R"(\"")", "/p \"pa ss\""}) {
    CAPTURE(arg);
    auto args = split_command_line(quote_argument(arg));
    REQUIRE(args);
    CHECK(*args == strings{arg});
  }
}

TEST_CASE("parse_url_parts accepts http(s) URLs and bare host:port") {
  struct row {
    std::string text;
    std::string scheme, host;
    std::optional<uint16_t> port;
    std::string path;
    bool userinfo;
  };
  std::vector<row> rows{
    {"http://p1:8080", "http", "p1", 8080, "", false},
    {"HTTPS://Proxy.Example.com/", "https", "Proxy.Example.com", std::nullopt, "/", false},
    {"p1:3128", "", "p1", 3128, "", false},
    {"https://h:8443/CloudAgent/", "https", "h", 8443, "/CloudAgent/", false},
    {"http://10.0.0.1:65535", "http", "10.0.0.1", 65535, "", false},
    {"http://[::1]:8080/", "http", "::1", 8080, "/", false},
    {"http://[fe80::1]", "http", "fe80::1", std::nullopt, "", false},
    {"http://u:pw@p:1", "http", "p", 1, "", true},
    {"http://my_proxy.local:1?x", "http", "my_proxy.local", 1, "?x", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    auto parts = parse_url_parts(r.text);
    REQUIRE(parts);
    CHECK(parts->scheme == r.scheme);
    CHECK(parts->host == r.host);
    CHECK(parts->port == r.port);
    CHECK(parts->path == r.path);
    CHECK(parts->has_userinfo == r.userinfo);
  }
}

TEST_CASE("parse_url_parts names what is wrong") {
  struct row {
    std::string text, reason;
  };
  std::vector<row> rows{
    {"", "empty URL"},
    {"ftp://p:1", "the scheme must be http or https"},
    {"http://", "no host"},
    {"http://:8080", "no host"},
    {"http://p:", "the port must be a number from 1 to 65535"},
    {"http://p:0", "the port must be a number from 1 to 65535"},
    {"http://p:65536", "the port must be a number from 1 to 65535"},
    {"http://p:80x", "the port must be a number from 1 to 65535"},
    {"http://p:-1", "the port must be a number from 1 to 65535"},
    {"http://a b:1", "contains whitespace or a control character"},
    {"http://p:1\x01", "contains whitespace or a control character"},
    {"http://<platform_url>/x", "invalid character in the host name"},
    {"http://::1:8080", "an IPv6 address must be written in brackets: [::1]:8080"},
    {"http://[::1", "unterminated '[' in the host"},
    {"http://[zz]:1", "invalid IPv6 address in brackets"},
    {"http://[::1]x", "unexpected text after ']'"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    CHECK(reason_of(parse_url_parts(r.text)) == r.reason);
  }
}

TEST_CASE("mask_userinfo hides credentials in a URL") {
  CHECK(mask_userinfo("http://bob:Hunter2@p:8080/x") == "http://***@p:8080/x");
  CHECK(mask_userinfo("bob:Hunter2@p:8080") == "***@p:8080");
  CHECK(mask_userinfo("http://p:8080/a@b") == "http://p:8080/a@b");
  CHECK(mask_userinfo("http://p:8080") == "http://p:8080");
}

TEST_CASE("parse_proxy_option: the guide's forms and quoting") {
  struct row {
    std::string text;
    proxy_option expected;
  };
  std::vector<row> rows{
    {"/u http://my-proxy:8080", {{"http://my-proxy:8080"}, {}, {}, {}}},
    {"/u http://my-proxy-1:8080;http://my-proxy-2:8080",
     {{"http://my-proxy-1:8080", "http://my-proxy-2:8080"}, {}, {}, {}}},
    // Example 4: no port, the scheme's default applies.
    {"/u http://my-proxy /n ProxyUsername /p ProxyPassword",
     {{"http://my-proxy"}, {}, "ProxyUsername", "ProxyPassword"}},
    // Example 6: credentials for the PAC's proxies.
    {"/n ProxyUsername /p ProxyPassword /a http://my-pacfile-server/QualysAgent.pac",
     {{}, "http://my-pacfile-server/QualysAgent.pac", "ProxyUsername", "ProxyPassword"}},
    {"/U p1:8080;HTTPS://[::1]:3128/ /N bob", {{"p1:8080", "HTTPS://[::1]:3128/"}, {}, "bob", {}}},
    {"-u http://p:1 -n bob -p x", {{"http://p:1"}, {}, "bob", "x"}},
    {R"(/u "http://p1:8080; http://p2:3128;")", {{"http://p1:8080", "http://p2:3128"}, {}, {}, {}}},
    {R"(/u http://p:1 /n "Domain User" /p "pa ss")", {{"http://p:1"}, {}, "Domain User", "pa ss"}},
    {R"(/u http://p:1 /n bob /p pa\"ss)", {{"http://p:1"}, {}, "bob", "pa\"ss"}},
    {R"(/u http://p:1 /n bob /p "a \"quoted\" pass")", {{"http://p:1"}, {}, "bob", "a \"quoted\" pass"}},
    {R"(/u http://p:1 /n bob /p "")", {{"http://p:1"}, {}, "bob", ""}},
    {"/p /x /n bob /u http://p:1", {{"http://p:1"}, {}, "bob", "/x"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    auto option = parse_proxy_option(r.text);
    REQUIRE_MESSAGE(option, (option ? "" : render(option.error())));
    CHECK(*option == r.expected);
  }
  auto split = parse_proxy_option(strings{"/u", "http://p:1", "/n", "bob", "/p", "pa ss"});
  REQUIRE(split);
  CHECK(split->password == "pa ss");
}

TEST_CASE("parse_proxy_option errors name the problem and never the password") {
  // Every input carries the password "Hunter2" (some with an unquoted second
  // half "Zq99"): neither may appear in any error.
  struct row {
    std::string text, reason;
  };
  std::vector<row> rows{
    {"", "no proxy options given (/u URL;URL or /a PAC-URL, with /n USER /p PASSWORD)"},
    {"/u", "/u needs a value"},
    {"/u /n bob /p Hunter2", "/u needs a value"},
    {"/u http://p:1 /n bob /p", "/p needs a value"},
    {"/u http://p:1 /u http://q:2", "/u given twice"},
    {"/u http://p:1 /n bob /p Hunter2 /P Zq99", "/p given twice"},
    {"/u http://p:1 /a http://pac/x.pac /n bob /p Hunter2",
     "/u and /a exclude each other (a PAC file chooses the proxies itself)"},
    {"/n bob /p Hunter2", "/n and /p need /u (proxy URLs) or /a (a PAC file URL)"},
    {"/p Hunter2", "/n and /p need /u (proxy URLs) or /a (a PAC file URL)"},
    {"/u http://p:1 /p Hunter2", "/p needs /n: a password without a user name"},
    {"/u ftp://p:1 /n bob /p Hunter2",
     "/u: 'ftp://p:1' is not a proxy URL: the scheme must be http or https"},
    {"/u p1 /n bob /p Hunter2", "/u: 'p1' needs a port (host:port) or a scheme (http://host)"},
    {"/u http://p1:8080;p2:0", "/u: 'p2:0' is not a proxy URL: the port must be a number from 1 to 65535"},
    {"/u http://p:99999", "/u: 'http://p:99999' is not a proxy URL: the port must be a number from 1 to 65535"},
    {"/u http://p:8080/path", "/u: 'http://p:8080/path' has a path; a proxy URL is scheme://host:port"},
    {"/u http://bob:Hunter2@p:8080",
     "/u: 'http://***@p:8080' carries credentials; give them with /n and /p instead"},
    {"/u http://bob:Hunter2@p:0",
     "/u: 'http://***@p:0' is not a proxy URL: the port must be a number from 1 to 65535"},
    {"/u ;; /n bob /p Hunter2", "/u: no proxy URL given (a list is url1;url2;...)"},
    {R"(/u "http://bad host:1")",
     "/u: 'http://bad host:1' is not a proxy URL: contains whitespace or a control character"},
    {"/u http://p:1 /x foo", "unknown option '/x' (the options are /u, /n, /p and /a)"},
    {"/u http://p:1 extra", "unexpected argument 'extra' (the options are /u, /n, /p and /a)"},
    {"/u http://p:1 /n bob /p Hunter2 Zq99",
     "unexpected argument after the /p password (not shown; quote a password that contains spaces)"},
    {"/u http://p:1 /n bob /p Hunter2 /Zq99",
     "unexpected argument after the /p password (not shown; quote a password that contains spaces)"},
    {"/u http://p:1 /n bob /p Hunter2 -Zq99",
     "unexpected argument after the /p password (not shown; quote a password that contains spaces)"},
    {R"(/u http://p:1 /n bob /p "Hunter2 Zq99)", "unterminated quote: the '\"' at character 25 is never closed"},
    {"/u http://p:1 /n bob:x /p Hunter2", "/n: a user name cannot contain ':' (HTTP Basic authentication)"},
    {R"(/u http://p:1 /n "" /p Hunter2)", "/n: the user name is empty"},
    {"/u http://p:1 /n bob /p \"Hunter2\tZq99\"", "/p: the password contains a control character"},
    {"/a my-pac/x.pac /n bob /p Hunter2", "/a: 'my-pac/x.pac' needs a scheme (http:// or https://)"},
    {"/p Hunter2 /n bob /a http://u:Hunter2@pac/x",
     "/a: 'http://***@pac/x' carries credentials, which are not supported"},
    {"/p Hunter2 /n bob /a ftp://pac/x",
     "/a: 'ftp://pac/x' is not a PAC file URL: the scheme must be http or https"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    auto reason = reason_of(parse_proxy_option(r.text));
    CHECK(reason == r.reason);
    CHECK(reason.find("Hunter2") == std::string::npos);
    CHECK(reason.find("Zq99") == std::string::npos);
  }
  // A control character inside a password (argv, not split).
  auto control = reason_of(parse_proxy_option(strings{"/u", "http://p:1", "/n", "bob", "/p", "Hunter2\r\nZq99"}));
  CHECK(control == "/p: the password contains a control character");
  CHECK(control.find("Hunter2") == std::string::npos);
}

TEST_CASE("to_display_string shows everything but the password") {
  proxy_option option{{"http://p1:8080", "http://p2:3128"}, {}, "Domain User", "Hunter2"};
  CHECK(to_display_string(option) == R"(/u http://p1:8080;http://p2:3128 /n "Domain User" /p ***)");
  proxy_option pac{{}, "http://pac/x.pac", "bob", {}};
  CHECK(to_display_string(pac) == "/a http://pac/x.pac /n bob");
  auto parsed = parse_proxy_option(to_display_string(option));
  REQUIRE(parsed);
  CHECK(parsed->username == "Domain User");
}

TEST_CASE("follows_secret recognizes where a cut-off secret may continue") {
  struct row {
    std::string previous;
    bool secret;
  };
  std::vector<row> rows{
    {"/p", true},          {"-P", true},           {"Proxy=/u http://p:1 /n bob /p", true},
    {"proxy=\"/u x\"", true}, {"SPFKEY=Hash", true}, {"spfkey=", true},
    {"/n", false},         {"bob", false},         {"CustomerId={x}", false},
    {"/pa", false},        {"Uninstall=True", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.previous);
    CHECK(follows_secret(r.previous) == r.secret);
  }
}

TEST_CASE("printable keeps quoted text on one line and short") {
  CHECK(printable("plain text") == "plain text");
  CHECK(printable("a\nb\rc\td\x01") == R"(a\nb\rc\td\x01)");
  CHECK(printable(std::string(200, 'x')) == std::string(120, 'x') + "...");
  CHECK(printable("http://bob:Hunter2@p:1") == "http://***@p:1");
  CHECK(printable("http://bob:Hun/ter2@p:1") == "http://***@p:1");
  CHECK(printable("bob:Hunter2@p:1") == "***@p:1");
  CHECK(reason_of(parse_proxy_option(strings{"/u", "http://p:1", "http://bob:Hunter2@q:1"}))
        == "unexpected argument 'http://***@q:1' (the options are /u, /n, /p and /a)");
  CHECK(reason_of(parse_proxy_option(strings{"/u", "http://bob:Hun/ter2@q:1"}))
        == "/u: 'http://***@q:1' is not a proxy URL: the port must be a number from 1 to 65535");
  auto reason = reason_of(parse_proxy_option(strings{"/u", "http://p:1", "evil\nline"}));
  CHECK(reason == R"(unexpected argument 'evil\nline' (the options are /u, /n, /p and /a))");
  reason = reason_of(parse_proxy_option(strings{"/u", "http://p:1\x1b"}));
  CHECK(reason == R"(/u: 'http://p:1\x1b' is not a proxy URL: contains whitespace or a control character)");
}

TEST_CASE("a proxy argument after a value that ends in ' /p' is never quoted (it may be the "
          "rest of a password)") {
  // Found by the proxy_args fuzz target: "bob /p" is the user name, Hunter2
  // the password that should have followed /p.
  auto parsed = parse_proxy_option(R"(/u http://p:1 /n "bob /p" Hunter2)");
  auto reason = reason_of(parsed);
  CHECK(reason.find("Hunter2") == std::string::npos);
  CHECK(reason.find("not shown") != std::string::npos);
}
