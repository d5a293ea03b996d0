// vigil-uninstall's argument grammar (SPEC §4).

#include "installer/uninstall_args.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "installer/setup_args.hpp"

using namespace vigil;

namespace {

using strings = std::vector<std::string>;

template <class T>
std::string reason_of(const caf::expected<T>& result) {
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == ec::invalid_argument);
  auto reason = context_of(result.error());
  CHECK(reason.find('\n') == std::string::npos);
  return reason;
}

uninstall_request uninstall(bool force = false, std::optional<std::string> key = std::nullopt) {
  return {uninstall_action::uninstall, force, std::move(key)};
}

} // namespace

TEST_CASE("parse_uninstall_args: the guide's forms, keys and booleans in any case") {
  struct row {
    strings args;
    uninstall_request expected;
  };
  std::vector<row> rows{
    {{"Uninstall=True"}, uninstall()},
    {{"uninstall=TRUE"}, uninstall()},
    {{"UNINSTALL=true", "Force=True"}, uninstall(true)},
    {{"force=TRUE", "Uninstall=1"}, uninstall(true)},
    {{"Uninstall=True", "FORCE=false"}, uninstall()},
    {{"Uninstall=True", "Force=0"}, uninstall()},
    {{"Uninstall=True", "SPFKEY=0a1b2c3d"}, uninstall(false, "0a1b2c3d")},
    {{"Uninstall=True", "spfkey=\"Hash Key\""}, uninstall(false, "Hash Key")},
    {{"/?"}, {}},
    {{"--help"}, {}},
    {{"Uninstall=True", "-?"}, {}},
    {{"CustomerId={1}", "/?"}, {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.args);
    auto request = parse_uninstall_args(r.args);
    REQUIRE_MESSAGE(request, (request ? "" : render(request.error())));
    CHECK(*request == r.expected);
  }
  auto line = parse_uninstall_command_line(R"(Uninstall=True Force=True SPFKEY="Hash Key")");
  REQUIRE(line);
  CHECK(*line == uninstall(true, "Hash Key"));
}

TEST_CASE("parse_uninstall_args: one-line reasons, CustomerId and ActivationId refused") {
  struct row {
    strings args;
    std::string reason;
  };
  const std::string identity = " cannot be given to vigil-uninstall: an uninstall keeps the agent "
                               "identity (Force=True removes it)";
  std::vector<row> rows{
    {{}, "Uninstall=True is required (vigil-uninstall /? shows the usage)"},
    {{"Force=True"}, "Uninstall=True is required (vigil-uninstall /? shows the usage)"},
    {{"Uninstall=False"}, "Uninstall=False: nothing to do (Uninstall=True uninstalls)"},
    {{"Uninstall=True", "CustomerId={12345678-1234-1234-1234-123456789012}"}, "CustomerId" + identity},
    {{"activationid={12345678-1234-1234-1234-123456789012}", "Uninstall=True"}, "ActivationId" + identity},
    {{"Uninstall=yes"}, "Uninstall: 'yes' is not TRUE or FALSE"},
    {{"Uninstall=True", "Force=always"}, "Force: 'always' is not TRUE or FALSE"},
    {{"Uninstall=True", "uninstall=true"}, "Uninstall given twice"},
    {{"Uninstall=True", "Force=True", "FORCE=True"}, "Force given twice"},
    {{"Uninstall="}, "Uninstall: empty value"},
    {{"Uninstall=True", "Foo=1"}, "unknown argument 'Foo' (keys: Uninstall, Force, SPFKEY)"},
    {{"Uninstall=True", "WebServiceUri=https://h/"},
     "unknown argument 'WebServiceUri' (keys: Uninstall, Force, SPFKEY)"},
    {{"Uninstall"}, "'Uninstall' is not of the form Key=Value (quote values that contain spaces)"},
    {{"/x"}, "unknown option '/x' (arguments are Key=Value; /? shows the usage)"},
    {{"Uninstall=True", "SPFKEY="}, "SPFKEY: empty value"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.args);
    CHECK(reason_of(parse_uninstall_args(r.args)) == r.reason);
  }
}

TEST_CASE("parse_uninstall_args never quotes the SPFKEY") {
  struct row {
    strings args;
    std::string reason;
  };
  std::vector<row> rows{
    // The guide writes `SPFKEY=Hash Key`: unquoted, the key splits in two.
    {{"Uninstall=True", "SPFKEY=Hunter2", "Zq99"},
     "the argument after SPFKEY= is not of the form Key=Value (not shown: it may be part of a "
     "password or key; quote values that contain spaces)"},
    {{"Uninstall=True", "SPFKEY=Hunter2", "Zq99=1"},
     "unknown argument after SPFKEY= (not shown: it may be part of a key; quote values that "
     "contain spaces)"},
    {{"Uninstall=True", "SPFKEY=Hunter2", "spfkey=Zq99"}, "SPFKEY given twice"},
    {{"SPFKEY=Hunter2"}, "Uninstall=True is required (vigil-uninstall /? shows the usage)"},
    {{"Uninstall=True", "SPFKEY=\"Hunter2\" Zq99"}, "SPFKEY: the quoted value is followed by more text"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.args);
    auto reason = reason_of(parse_uninstall_args(r.args));
    CHECK(reason == r.reason);
    CHECK(reason.find("Hunter2") == std::string::npos);
    CHECK(reason.find("Zq99") == std::string::npos);
  }
  auto line = reason_of(parse_uninstall_command_line("Uninstall=True SPFKEY=Hunter2 Zq99"));
  CHECK(line.find("Zq99") == std::string::npos);
}

TEST_CASE("to_log_string and the usage of vigil-uninstall") {
  CHECK(to_log_string(uninstall(true, "Hunter2")) == "Uninstall=True Force=True SPFKEY=***");
  CHECK(to_log_string(uninstall()) == "Uninstall=True");
  CHECK(to_log_string(uninstall_request{}) == "/?");
  auto usage = uninstall_usage();
  for (auto word : {"Uninstall=True", "Force=True", "SPFKEY=", "1639"}) {
    CAPTURE(word);
    CHECK(usage.find(word) != std::string::npos);
  }
}
