// Every PAC helper function, in process (the engine itself, with a fixed
// resolver, fixed local addresses and a fixed clock), table-driven.
#include "net/pac/engine.hpp"

#include <cstdlib>
#include <ctime>
#include <doctest/doctest.h>
#include <map>
#include <memory>

#include "common/error.hpp"
#include "net/pac/addresses.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

struct row {
  const char* expression;
  const char* expected;
};

/// A deterministic machine: a few names, two local addresses, a settable clock.
struct fixture {
  std::shared_ptr<std::time_t> clock = std::make_shared<std::time_t>(0);
  std::unique_ptr<pac_engine> engine;

  explicit fixture(const char* script = "function FindProxyForURL(url, host) { return 'DIRECT'; }") {
    // Local time is Japan's (UTC+9, no daylight saving), so "GMT" arguments
    // and local ones disagree by nine hours.
    ::setenv("TZ", "JST-9", 1);
    ::tzset();
    pac_environment environment;
    environment.resolve = [](const std::string& host) -> std::vector<std::string> {
      static const std::map<std::string, std::vector<std::string>> names{
        {"intranet.corp.example", {"10.1.2.3"}},
        {"dual.example", {"2001:db8::5", "192.0.2.5"}},
        {"v6only.example", {"2001:db8::6"}},
        {"high.example", {"192.168.1.77"}},
      };
      auto found = names.find(host);
      return found == names.end() ? std::vector<std::string>{} : found->second;
    };
    environment.my_addresses = [] { return std::vector<std::string>{"2001:db8::20", "192.168.1.20"}; };
    environment.now = [clock = clock] { return *clock; };
    auto loaded = pac_engine::load(script, std::move(environment), 16u << 20);
    REQUIRE_MESSAGE(loaded, render(loaded.error()));
    engine = std::move(*loaded);
  }

  void check(const std::vector<row>& table) {
    for (auto& r : table) {
      CAPTURE(r.expression);
      auto value = engine->evaluate(r.expression);
      REQUIRE_MESSAGE(value, render(value.error()));
      CHECK(*value == r.expected);
    }
  }
};

} // namespace

TEST_CASE("pac helpers: host name functions") {
  fixture f;
  f.check({
    {"isPlainHostName('www')", "true"},
    {"isPlainHostName('www.example.com')", "false"},
    {"dnsDomainIs('www.example.com', '.example.com')", "true"},
    {"dnsDomainIs('www', '.example.com')", "false"},
    {"dnsDomainIs('www.example.org', '.example.com')", "false"},
    {"dnsDomainIs('example.com', '.example.com')", "false"},
    {"dnsDomainIs('example.com', 'example.com')", "true"},
    {"localHostOrDomainIs('www.example.com', 'www.example.com')", "true"},
    {"localHostOrDomainIs('www', 'www.example.com')", "true"},
    {"localHostOrDomainIs('www.other.com', 'www.example.com')", "false"},
    {"localHostOrDomainIs('home.example.com', 'www.example.com')", "false"},
    {"localHostOrDomainIs('home', 'www.example.com')", "false"},
    {"dnsDomainLevels('www')", "0"},
    {"dnsDomainLevels('www.example.com')", "2"},
    {"dnsDomainLevels('a.b.c.d.e')", "4"},
  });
}

TEST_CASE("pac helpers: shExpMatch is a shell glob, anchored, with literal regex characters") {
  fixture f;
  f.check({
    {"shExpMatch('http://home.netscape.com/people/ari/index.html', '*/ari/*')", "true"},
    {"shExpMatch('http://home.netscape.com/people/montulli/index.html', '*/ari/*')", "false"},
    {"shExpMatch('www.example.com', '*.example.com')", "true"},
    {"shExpMatch('example.com', '*.example.com')", "false"},
    {"shExpMatch('a.b', 'a?b')", "true"},
    {"shExpMatch('ab', 'a?b')", "false"},
    {"shExpMatch('axb', 'a.b')", "false"},
    {"shExpMatch('x(y)+z[1]^$|', 'x(y)+z[1]^$|')", "true"},
    {"shExpMatch('abc', 'ab')", "false"},
    {"shExpMatch('abc', 'bc')", "false"},
    {"shExpMatch('10.1.2.3', '10.*')", "true"},
    {"shExpMatch('', '*')", "true"},
    {"shExpMatch('http://x/a\\\\b', '*\\\\*')", "true"},
    {"shExpMatch('abcabd', '*ab?')", "true"},
    {"shExpMatch('abcabd', '*ab?c')", "false"},
    {"shExpMatch('h\\u00e9llo.example', 'h?llo.*')", "true"},
    {"shExpMatch(new Array(5000).join('a'), '*a*a*a*a*a*a*b')", "false"},
    {"shExpMatch('mississippi', '*sip*')", "true"},
  });
}

TEST_CASE("pac helpers: DNS and address functions use the injected resolver") {
  fixture f;
  f.check({
    {"isResolvable('intranet.corp.example')", "true"},
    {"isResolvable('nowhere.example')", "false"},
    {"isResolvable('v6only.example')", "false"},
    {"dnsResolve('intranet.corp.example')", "10.1.2.3"},
    {"dnsResolve('dual.example')", "192.0.2.5"},
    {"dnsResolve('nowhere.example')", "null"},
    {"myIpAddress()", "192.168.1.20"},
    {"convert_addr('104.16.41.2')", "1745889538"},
    {"convert_addr('192.168.1.1')", "3232235777"},
    {"isInNet('10.1.2.3', '10.0.0.0', '255.0.0.0')", "true"},
    {"isInNet('intranet.corp.example', '10.1.0.0', '255.255.0.0')", "true"},
    {"isInNet('10.2.2.3', '10.1.0.0', '255.255.0.0')", "false"},
    {"isInNet('nowhere.example', '10.0.0.0', '255.0.0.0')", "false"},
    {"isInNet('192.168.1.20', '192.168.1.0', '255.255.255.0')", "true"},
    {"isInNet('high.example', '192.168.0.0', '255.255.0.0')", "true"},
    {"isInNet('192.169.1.20', '192.168.0.0', '255.255.0.0')", "false"},
    {"isInNet('10.1.2.3', '10.0.0', '255.0.0.0')", "false"},
    {"isInNet('10.1.2.3', '10.0.0.0', '255.0.0.256')", "false"},
    {"isInNet('10.1.2.3', '0.0.0.0', '0.0.0.0')", "true"},
    {"isInNet(myIpAddress(), '192.168.1.0', '255.255.255.0')", "true"},
  });
}

TEST_CASE("pac helpers: Microsoft's IPv6 Ex functions") {
  fixture f;
  f.check({
    {"dnsResolveEx('dual.example')", "2001:db8::5;192.0.2.5"},
    {"dnsResolveEx('nowhere.example')", ""},
    {"isResolvableEx('v6only.example')", "true"},
    {"isResolvableEx('nowhere.example')", "false"},
    {"myIpAddressEx()", "2001:db8::20;192.168.1.20"},
    {"isInNetEx('2001:db8::5', '2001:db8::/32')", "true"},
    {"isInNetEx('2001:db9::5', '2001:db8::/32')", "false"},
    {"isInNetEx('3ffe:8311:ffff:1::1', '3ffe:8311:ffff::/48')", "true"},
    {"isInNetEx('198.95.249.79', '198.95.0.0/16')", "true"},
    {"isInNetEx('198.96.1.1', '198.95.0.0/16')", "false"},
    {"isInNetEx('10.1.3.255', '10.1.2.0/23')", "true"},
    {"isInNetEx('10.1.4.0', '10.1.2.0/23')", "false"},
    {"isInNetEx('10.1.2.3', '10.1.2.3')", "true"},
    {"isInNetEx('10.1.2.3', '2001:db8::/32')", "false"},
    {"isInNetEx('10.1.2.3', '10.0.0.0/33')", "false"},
    {"isInNetEx('intranet.corp.example', '10.0.0.0/8')", "false"},
    {"sortIpAddressList('10.2.3.9;2001:4898:28:3:201:2ff:feea:fc14;::1;127.0.0.1;::9')",
     "::1;::9;2001:4898:28:3:201:2ff:feea:fc14;10.2.3.9;127.0.0.1"},
    {"sortIpAddressList('10.0.0.2; 10.0.0.10 ;10.0.0.1')", "10.0.0.1;10.0.0.2;10.0.0.10"},
    {"sortIpAddressList('bogus;10.0.0.1')", "false"},
    {"sortIpAddressList('')", "false"},
    {"getClientVersion()", "1.0"},
  });
  CHECK(address_in_prefix("::ffff:10.0.0.1", "::ffff:0:0/96"));
  CHECK_FALSE(address_in_prefix("10.0.0.1", "10.0.0.0/x"));
}

TEST_CASE("pac helpers: weekdayRange, dateRange, timeRange at Fri 2024-03-15 13:45:30 UTC") {
  fixture f;
  *f.clock = 1710510330; // local (UTC+9): Fri 2024-03-15 22:45:30
  f.check({
    {"weekdayRange('FRI')", "true"},
    {"weekdayRange('MON', 'FRI')", "true"},
    {"weekdayRange('SAT', 'SUN')", "false"},
    {"weekdayRange('THU', 'MON')", "true"}, // wraps over the weekend
    {"weekdayRange('SAT', 'THU')", "false"},
    {"weekdayRange('FRI', 'GMT')", "true"},
    {"weekdayRange('MON', 'THU', 'GMT')", "false"},
    {"weekdayRange('XYZ')", "false"},
    {"weekdayRange()", "false"},
    {"dateRange(15)", "true"},
    {"dateRange(14)", "false"},
    {"dateRange('MAR')", "true"},
    {"dateRange(2024)", "true"},
    {"dateRange(1, 15)", "true"},
    {"dateRange(16, 31)", "false"},
    {"dateRange(20, 14)", "false"},
    {"dateRange(20, 15)", "true"}, // wraps over the month's end
    {"dateRange('JAN', 'MAR')", "true"},
    {"dateRange('NOV', 'FEB')", "false"},
    {"dateRange('DEC', 'MAR')", "true"},
    {"dateRange(1, 'MAR', 31, 'MAR')", "true"},
    {"dateRange(16, 'MAR', 14, 'MAR')", "false"}, // the whole year but today
    {"dateRange(16, 'FEB', 15, 'MAR')", "true"},
    {"dateRange('MAR', 2024, 'APR', 2024)", "true"},
    {"dateRange('APR', 2024, 'MAR', 2024)", "false"}, // years do not wrap
    {"dateRange(2020, 2023)", "false"},
    {"dateRange(2025, 2020)", "false"},
    {"dateRange(1, 'JAN', 2024, 31, 'DEC', 2024)", "true"},
    {"dateRange(15, 'MAR', 2024, 15, 'MAR', 2024)", "true"},
    {"dateRange(16, 'MAR', 2024, 31, 'DEC', 2024)", "false"},
    {"dateRange(15, 'GMT')", "true"},
    {"dateRange('MAR', 'GMT')", "true"},
    // Ranges whose halves name different fields, read as browsers read them
    // (issue 17): a day and a month run from that day to the end of this
    // month; with a year, from the day in January to the month's end.
    {"dateRange(15, 'MAR')", "true"},
    {"dateRange(15, 'MAR', 'GMT')", "true"},
    {"dateRange(1, 'MAR')", "true"},
    {"dateRange(16, 'MAR')", "false"},
    {"dateRange(15, 'APR')", "true"}, // browsers move both ends into this month
    {"dateRange(15, 2024)", "true"},
    {"dateRange(15, 'MAR', 2024)", "true"},
    {"dateRange(15, 'MAR', 2024, 'GMT')", "true"},
    {"dateRange(16, 'MAR', 2024)", "true"}, // 16 JAN 2024 .. 31 MAR 2024
    {"dateRange(15, 'FEB', 2024)", "false"},
    {"dateRange(15, 'MAR', 2023)", "false"}, // ends before it starts; years never wrap
                                             // (browsers: true)
    {"dateRange('MAR', 15)", "true"},        // 1 MAR .. 15 DEC
    {"dateRange('APR', 15)", "false"},
    {"dateRange('MAR', 2024)", "true"},
    {"dateRange(2024, 'MAR')", "true"},
    {"dateRange(2024, 'FEB')", "false"},
    {"dateRange(1, 'MAR', 2024, 31)", "true"}, // 1 MAR 2024 .. 31 DEC 2024
    {"dateRange(1, 2, 3, 4)", "false"},        // a field twice in one half
    {"dateRange(1, 'MAR', 2024, 1, 'APR', 2024, 5)", "false"},
    {"dateRange(99)", "false"},
    {"timeRange(22)", "true"},
    {"timeRange(13, 'GMT')", "true"},
    {"timeRange(13)", "false"},
    {"timeRange(9, 17)", "false"},
    {"timeRange(9, 17, 'GMT')", "true"},
    {"timeRange(22, 6)", "true"}, // wraps over midnight
    {"timeRange(23, 6)", "false"},
    {"timeRange(22, 45, 22, 46)", "true"},
    {"timeRange(22, 46, 23, 0)", "false"},
    {"timeRange(22, 45, 31, 22, 46, 0)", "false"},
    {"timeRange(22, 45, 30, 22, 45, 30)", "true"},
    {"timeRange(13, 45, 0, 13, 45, 59, 'GMT')", "true"},
    {"timeRange(23, 0, 'GMT')", "false"},
    {"timeRange(1, 2, 3)", "false"},
  });
}

TEST_CASE("pac helpers: the time functions at Sun 2023-12-31 23:30:00 UTC (Mon 2024-01-01 local)") {
  fixture f;
  *f.clock = 1704065400; // local (UTC+9): Mon 2024-01-01 08:30:00
  f.check({
    {"weekdayRange('MON')", "true"},
    {"weekdayRange('SUN', 'GMT')", "true"},
    {"weekdayRange('SAT', 'SUN')", "false"},
    {"weekdayRange('SAT', 'SUN', 'GMT')", "true"},
    {"weekdayRange('FRI', 'MON')", "true"},
    {"weekdayRange('TUE', 'SUN')", "false"},
    {"dateRange('DEC', 'JAN')", "true"}, // wraps over the year's end
    {"dateRange('DEC', 'JAN', 'GMT')", "true"},
    {"dateRange('FEB', 'NOV')", "false"},
    {"dateRange(1)", "true"},
    {"dateRange(31, 'GMT')", "true"},
    {"dateRange(2024)", "true"},
    {"dateRange(2023, 'GMT')", "true"},
    {"dateRange(25, 'DEC', 5, 'JAN')", "true"},
    {"dateRange(25, 'DEC', 5, 'JAN', 'GMT')", "true"},
    {"dateRange(2, 'JAN', 24, 'DEC')", "false"},
    {"dateRange('DEC', 2023, 'JAN', 2024)", "true"},
    {"dateRange(1, 'JAN', 2023, 31, 'DEC', 2023)", "false"},
    {"dateRange(1, 'JAN', 2023, 31, 'DEC', 2023, 'GMT')", "true"},
    {"dateRange(1, 'JAN')", "true"},
    {"dateRange(2, 'JAN')", "false"},
    // With GMT every field comes from the UTC date; browsers take the default
    // year and month from local time here and answer false.
    {"dateRange(31, 'DEC', 'GMT')", "true"},
    {"dateRange(1, 'JAN', 2024)", "true"},
    {"dateRange(1, 'JAN', 2024, 'GMT')", "true"}, // 1 JAN 2023 .. 31 JAN 2024
    {"dateRange(1, 'NOV', 2023, 'GMT')", "false"}, // 1 JAN 2023 .. 30 NOV 2023
    {"timeRange(8, 30, 9, 0)", "true"},
    {"timeRange(23, 'GMT')", "true"},
    {"timeRange(23, 1, 'GMT')", "true"},
    {"timeRange(0, 0, 0, 0, 0, 30)", "false"},
  });
}

TEST_CASE("pac engine: FindProxyForURLEx is preferred when defined") {
  fixture both{"function FindProxyForURL(u, h) { return 'PROXY old:1'; }\n"
               "function FindProxyForURLEx(u, h) { return 'PROXY [2001:db8::1]:8080; DIRECT'; }"};
  auto answer = both.engine->find_proxy("https://x.example/", "x.example");
  REQUIRE(answer);
  CHECK(*answer == "PROXY [2001:db8::1]:8080; DIRECT");
  fixture classic{"function FindProxyForURL(u, h) { return 'PROXY ' + h + ':3128'; }"};
  answer = classic.engine->find_proxy("https://x.example/", "x.example");
  REQUIRE(answer);
  CHECK(*answer == "PROXY x.example:3128");
}

TEST_CASE("pac engine: script errors are named") {
  pac_environment environment = system_pac_environment();
  auto syntax = pac_engine::load("function FindProxyForURL(u, h) {\n  return 'DIRECT'\n", environment,
                                 16u << 20, "bad.pac");
  REQUIRE_FALSE(syntax);
  CHECK(code_of(syntax.error()) == ec::parse_error);
  CHECK(context_of(syntax.error()).find("SyntaxError") != std::string::npos);
  CHECK(context_of(syntax.error()).find("bad.pac") != std::string::npos);
  auto missing = pac_engine::load("var x = 1;", environment, 16u << 20);
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
  CHECK(context_of(missing.error()).find("FindProxyForURL") != std::string::npos);
  auto throws = pac_engine::load("throw new Error('boom');", environment, 16u << 20);
  REQUIRE_FALSE(throws);
  CHECK(context_of(throws.error()).find("boom") != std::string::npos);
  auto engine = pac_engine::load("function FindProxyForURL(u, h) {\n"
                                 "  if (h == 'throw') throw new TypeError('no route for ' + h);\n"
                                 "  if (h == 'number') return 42;\n"
                                 "  alert('asked for ' + h);\n"
                                 "  return 'DIRECT';\n}",
                                 environment, 16u << 20);
  REQUIRE(engine);
  auto thrown = (*engine)->find_proxy("http://throw/", "throw");
  REQUIRE_FALSE(thrown);
  CHECK(code_of(thrown.error()) == ec::parse_error);
  CHECK(context_of(thrown.error()).find("no route for throw (line 2)") != std::string::npos);
  auto number = (*engine)->find_proxy("http://number/", "number");
  REQUIRE_FALSE(number);
  CHECK(context_of(number.error()).find("not a string") != std::string::npos);
  // The engine keeps working after a failed call.
  auto fine = (*engine)->find_proxy("http://ok/", "ok");
  REQUIRE(fine);
  CHECK(*fine == "DIRECT");
}

TEST_CASE("pac engine: the heap cap stops unbounded allocation") {
  auto engine = pac_engine::load("function FindProxyForURL(u, h) {\n"
                                 "  var hoard = [];\n"
                                 "  for (var i = 0;; i++) hoard.push('entry ' + i + ' of ' + h);\n}",
                                 system_pac_environment(), 8u << 20);
  REQUIRE(engine);
  auto answer = (*engine)->find_proxy("http://x/", "x");
  REQUIRE_FALSE(answer);
  CHECK(code_of(answer.error()) == ec::too_large);
  CHECK(context_of(answer.error()).find("memory limit") != std::string::npos);
}

TEST_CASE("pac environment: a hosts file replaces DNS") {
  test::temp_dir dir;
  test::write_file(dir / "hosts", "# test names\n"
                                  "10.0.0.7   proxy.corp.example  Proxy2.Corp.Example\n"
                                  "2001:db8::7 proxy.corp.example\n"
                                  "\n"
                                  "192.0.2.1 other.example # trailing comment\n");
  auto resolve = hosts_file_resolver(dir / "hosts");
  REQUIRE(resolve);
  CHECK((*resolve)("proxy.corp.example") == std::vector<std::string>{"10.0.0.7", "2001:db8::7"});
  CHECK((*resolve)("PROXY2.corp.example") == std::vector<std::string>{"10.0.0.7"});
  CHECK((*resolve)("other.example") == std::vector<std::string>{"192.0.2.1"});
  CHECK((*resolve)("www.example.com").empty());
  CHECK((*resolve)("198.51.100.4") == std::vector<std::string>{"198.51.100.4"});
  test::write_file(dir / "bad", "10.0.0.1 fine\nnot-an-address name\n");
  auto bad = hosts_file_resolver(dir / "bad");
  REQUIRE_FALSE(bad);
  CHECK(code_of(bad.error()) == ec::parse_error);
  CHECK(context_of(bad.error()).find(":2:") != std::string::npos);
  auto missing = hosts_file_resolver(dir / "missing");
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
}
