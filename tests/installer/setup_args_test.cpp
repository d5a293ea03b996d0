// vigil-setup's argument grammar (SPEC §3), through argv and through one
// command-line string as deployment tools pass it.

#include "installer/setup_args.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"

using namespace vigil;

namespace {

using strings = std::vector<std::string>;

const std::string g1 = "{12345678-1234-1234-1234-123456789012}";
const std::string g2 = "{abcdef01-2345-6789-ABCD-EF0123456789}";
const std::string uri = "https://h:8443/CloudAgent/";

template <class T>
std::string reason_of(const caf::expected<T>& result) {
  REQUIRE_FALSE(result);
  CHECK(code_of(result.error()) == ec::invalid_argument);
  auto reason = context_of(result.error());
  CHECK(reason.find('\n') == std::string::npos);
  return reason;
}

setup_request install(std::string customer = g1, std::string activation = g2,
                      std::string web_service_uri = uri) {
  setup_request r;
  r.action = setup_action::install;
  r.customer_id = std::move(customer);
  r.activation_id = std::move(activation);
  r.web_service_uri = std::move(web_service_uri);
  return r;
}

template <class F>
setup_request with(setup_request r, F change) {
  change(r);
  return r;
}

setup_request of_action(setup_action action) {
  setup_request r;
  r.action = action;
  return r;
}

} // namespace

static_assert(installer_exit::success == 0);
static_assert(installer_exit::fatal == 1603);
static_assert(installer_exit::busy == 1618);
static_assert(installer_exit::already_installed == 1638);
static_assert(installer_exit::invalid_command_line == 1639);

TEST_CASE("parse_setup_args: every key in any case, booleans in any case") {
  struct row {
    strings args;
    setup_request expected;
  };
  auto extract = [](extract_format format, std::optional<std::string> dir = std::nullopt) {
    auto r = of_action(setup_action::extract);
    r.extract = format;
    r.extract_dir = std::move(dir);
    return r;
  };
  std::vector<row> rows{
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri}, install()},
    {{"customerid=" + g1, "ACTIVATIONID=" + g2, "webServiceURI=" + uri}, install()},
    {{"WebServiceUri=" + uri, "cUsToMeRiD=" + g1, "activationId=" + g2}, install()},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri, "GoldenImage=true"},
     with(install(), [](auto& r) { r.golden_image = true; })},
    {{"CUSTOMERID=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri, "goldenimage=TRUE"},
     with(install(), [](auto& r) { r.golden_image = true; })},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri, "GOLDENIMAGE=True"},
     with(install(), [](auto& r) { r.golden_image = true; })},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri, "GoldenImage=1"},
     with(install(), [](auto& r) { r.golden_image = true; })},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri, "GoldenImage=FALSE"}, install()},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri, "PatchInstall=false"}, install()},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri, "PatchInstall=0",
      "allowdowngrade=TRUE"},
     with(install(), [](auto& r) { r.allow_downgrade = true; })},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=HTTPS://[::1]:8443/CloudAgent/"},
     install(g1, g2, "HTTPS://[::1]:8443/CloudAgent/")},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=https://platform.example"},
     install(g1, g2, "https://platform.example")},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri, "cabundle=/data/ca.pem"},
     with(install(), [](auto& r) { r.ca_bundle = "/data/ca.pem"; })},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri,
      R"(CaBundle="/data/my certs/ca.pem")"},
     with(install(), [](auto& r) { r.ca_bundle = "/data/my certs/ca.pem"; })},
    // Wholly quoted values (a tool that did not strip the quotes).
    {{R"(CustomerId=")" + g1 + "\"", R"(ActivationId=")" + g2 + "\"", "WebServiceUri=\"" + uri + "\""},
     install()},
    // The shell removed the outer quotes; the proxy value keeps its own.
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri,
      R"(Proxy=/u http://p1:8080;http://p2:3128 /n bob /p "pa ss")"},
     with(install(), [](auto& r) {
       r.proxy = proxy_option{{"http://p1:8080", "http://p2:3128"}, {}, "bob", "pa ss"};
     })},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri,
      R"(PROXY="/a http://pac/agent.pac /n bob /p \"a \\\"q\\\" b\"")"},
     with(install(), [](auto& r) { r.proxy = proxy_option{{}, "http://pac/agent.pac", "bob", "a \"q\" b"}; })},
    {{"PatchInstall=TRUE"}, of_action(setup_action::patch)},
    {{"patchinstall=true"}, of_action(setup_action::patch)},
    {{"Patchinstall=True", "ALLOWDOWNGRADE=true"},
     with(of_action(setup_action::patch), [](auto& r) { r.allow_downgrade = true; })},
    {{"PatchInstall=1", "AllowDowngrade=false"}, of_action(setup_action::patch)},
    {{"Extract=deb"}, extract(extract_format::deb)},
    {{"extract=TAR", "dir=/tmp/out"}, extract(extract_format::tar, "/tmp/out")},
    {{"EXTRACT=auto", R"(DIR="/tmp/my dir")"}, extract(extract_format::auto_detect, "/tmp/my dir")},
    {{"Extract=Auto"}, extract(extract_format::auto_detect)},
    {{"Extract=MSI"}, extract(extract_format::msi)},
    // The guide's spelling: the MSI goes next to vigil-setup.exe.
    {{"ExtractMSI=64"}, with(extract(extract_format::msi), [](auto& r) { r.extract_next_to_program = true; })},
    {{"extractmsi=auto", "Dir=C:\\out"},
     with(extract(extract_format::msi, "C:\\out"), [](auto& r) { r.extract_next_to_program = true; })},
    {{"/?"}, of_action(setup_action::help)},
    {{"--help"}, of_action(setup_action::help)},
    {{"--HELP"}, of_action(setup_action::help)},
    {{"-?"}, of_action(setup_action::help)},
    {{"-h"}, of_action(setup_action::help)},
    {{"CustomerId={bad}", "Nonsense", "/?"}, of_action(setup_action::help)},
  };
  for (const auto& r : rows) {
    CAPTURE(r.args);
    auto request = parse_setup_args(r.args);
    REQUIRE_MESSAGE(request, (request ? "" : render(request.error())));
    CHECK(to_string(request->action) == std::string{to_string(r.expected.action)});
    CHECK(*request == r.expected);
  }
}

TEST_CASE("parse_setup_command_line: an SCCM-style command line") {
  const std::string line = "CustomerId=" + g1 + " ActivationId=" + g2
                           + " WebServiceUri=https://h:8443/CloudAgent/ "
                             R"(Proxy="/u http://p1:8080;http://p2:3128 /n bob /p \"pa ss\"")";
  auto args = split_command_line(line);
  REQUIRE(args);
  CHECK(*args
        == strings{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=https://h:8443/CloudAgent/",
                   R"(Proxy=/u http://p1:8080;http://p2:3128 /n bob /p "pa ss")"});
  auto expected = with(install(), [](auto& r) {
    r.proxy = proxy_option{{"http://p1:8080", "http://p2:3128"}, {}, "bob", "pa ss"};
  });
  auto from_line = parse_setup_command_line(line);
  REQUIRE_MESSAGE(from_line, (from_line ? "" : render(from_line.error())));
  CHECK(*from_line == expected);
  // The argv path (the shell removed the outer quotes) gives the same request.
  auto from_argv = parse_setup_args(*args);
  REQUIRE(from_argv);
  CHECK(*from_argv == expected);

  SUBCASE("a literal quote in the password: \\\\\\\" on the line, \\\" in the proxy value") {
    auto quoted = parse_setup_command_line(
      "CustomerId=" + g1 + " ActivationId=" + g2 + " WebServiceUri=" + uri
      + R"( Proxy="/u http://p:1 /n bob /p pa\\\"ss")");
    REQUIRE_MESSAGE(quoted, (quoted ? "" : render(quoted.error())));
    REQUIRE(quoted->proxy);
    CHECK(quoted->proxy->password == "pa\"ss");
  }
  SUBCASE("the guide's example pasted with line breaks, keys in odd case") {
    auto pasted = parse_setup_command_line("customerid=" + g1 + "\r\nACTIVATIONID=" + g2
                                           + "\n  WebServiceUri=" + uri + "\r\n goldenimage=true\r\n");
    REQUIRE(pasted);
    CHECK(*pasted == with(install(), [](auto& r) { r.golden_image = true; }));
  }
  SUBCASE("PatchInstall and Extract lines") {
    CHECK(parse_setup_command_line("  Patchinstall=true ")->action == setup_action::patch);
    auto extract = parse_setup_command_line(R"(Extract=deb Dir="/srv/agent packages")");
    REQUIRE(extract);
    CHECK(extract->extract_dir == "/srv/agent packages");
  }
  SUBCASE("an unterminated quote on the line") {
    CHECK(reason_of(parse_setup_command_line(R"(CustomerId=")" + g1))
          == "unterminated quote: the '\"' at character 12 is never closed");
  }
}

TEST_CASE("parse_setup_args: one-line reasons for every invalid command line") {
  struct row {
    strings args;
    std::string reason;
  };
  const strings ids{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri};
  auto plus = [&ids](strings more) {
    auto all = ids;
    all.insert(all.end(), more.begin(), more.end());
    return all;
  };
  const std::string guid_form = " is not a GUID of the form {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}";
  std::vector<row> rows{
    {{}, "nothing to do: give CustomerId, ActivationId and WebServiceUri, PatchInstall=TRUE or "
         "Extract= (vigil-setup /? shows the usage)"},
    {{"CustomerId={1234}", "ActivationId=" + g2, "WebServiceUri=" + uri},
     "CustomerId: '{1234}'" + guid_form},
    // The guide's own typo (8-4-4-16) is not accepted silently.
    {{"CustomerId=" + g1, "activationid={12345678-1234-1234-1234123456789012}", "WebServiceUri=" + uri},
     "ActivationId: '{12345678-1234-1234-1234123456789012}'" + guid_form},
    {{"CustomerId=12345678-1234-1234-1234-123456789012"},
     "CustomerId: '12345678-1234-1234-1234-123456789012'" + guid_form},
    {{"CustomerId={xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}"},
     "CustomerId: '{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}'" + guid_form},
    {plus({"Foo=1"}),
     "unknown argument 'Foo' (keys: CustomerId, ActivationId, WebServiceUri, Proxy, CaBundle, "
     "TrustKey, GoldenImage, PatchInstall, AllowDowngrade, SelfPatch, Extract, Dir, ExtractMSI)"},
    {plus({"SelfPatch=TRUE"}),
     "SelfPatch=TRUE goes with PatchInstall=TRUE only (the agent's own upgrades)"},
    {plus({"TrustKey=vigil-ed25519:AAAA"}),
     "TrustKey: 'vigil-ed25519:AAAA' is not an Ed25519 public key"},
    {{"PatchInstall=TRUE", "TrustKey=/data/signing-key.pub"},
     "PatchInstall=TRUE keeps the pinned TrustKey: a new key is accepted only when signed by "
     "the pinned one"},
    {{"ExtractMSI=32"},
     "ExtractMSI: '32': Vigil has no 32-bit agent; ExtractMSI=64 (or AUTO) writes the x64 MSI"},
    {{"ExtractMSI=BOTH"},
     "ExtractMSI: 'BOTH': Vigil has no 32-bit agent; ExtractMSI=64 (or AUTO) writes the x64 MSI"},
    {{"ExtractMSI=x64"}, "ExtractMSI: 'x64' is not 64, AUTO, 32 or BOTH"},
    {{"ExtractMSI=64", "Extract=tar"}, "give Extract= or ExtractMSI=, not both"},
    {{"ExtractMSI=64", "PatchInstall=TRUE"},
     "ExtractMSI= writes the package out and installs nothing: PatchInstall cannot go with it "
     "(only Dir= can)"},
    {{"CustomerId=" + g1, "ActivationId=" + g2},
     "a fresh install needs CustomerId, ActivationId and WebServiceUri; missing: WebServiceUri "
     "(PatchInstall=TRUE upgrades an existing install)"},
    {{"GoldenImage=true"},
     "a fresh install needs CustomerId, ActivationId and WebServiceUri; missing: CustomerId, "
     "ActivationId, WebServiceUri (PatchInstall=TRUE upgrades an existing install)"},
    {{"PatchInstall=FALSE", "WebServiceUri=" + uri},
     "a fresh install needs CustomerId, ActivationId and WebServiceUri; missing: CustomerId, "
     "ActivationId (PatchInstall=TRUE upgrades an existing install)"},
    {plus({"customerid=" + g1}), "CustomerId given twice"},
    {{"PatchInstall=TRUE", "patchinstall=true"}, "PatchInstall given twice"},
    {{"PatchInstall=TRUE", "CustomerId=" + g1},
     "PatchInstall=TRUE keeps the installed CustomerId and ActivationId: do not give CustomerId"},
    {{"activationid=" + g2, "patchinstall=true"},
     "PatchInstall=TRUE keeps the installed CustomerId and ActivationId: do not give ActivationId"},
    {{"PatchInstall=TRUE", "WebServiceUri=" + uri},
     "PatchInstall=TRUE keeps the installed configuration: WebServiceUri cannot go with it (change "
     "it with vigil-reg or vigil-proxy)"},
    {{"PatchInstall=TRUE", "Proxy=/u http://p:1"},
     "PatchInstall=TRUE keeps the installed configuration: Proxy cannot go with it (change it with "
     "vigil-reg or vigil-proxy)"},
    {{"PatchInstall=TRUE", "GoldenImage=true"},
     "GoldenImage applies to a fresh install, not to PatchInstall=TRUE"},
    {{"PatchInstall=yes"}, "PatchInstall: 'yes' is not TRUE or FALSE"},
    {plus({"GoldenImage=on"}), "GoldenImage: 'on' is not TRUE or FALSE"},
    {plus({"AllowDowngrade=2"}), "AllowDowngrade: '2' is not TRUE or FALSE"},
    {{"Extract=64"}, "Extract: '64' is not deb, tar, msi or AUTO"},
    {{"Extract=BOTH"}, "Extract: 'BOTH' is not deb, tar, msi or AUTO"},
    {{"Extract=rpm"}, "Extract: 'rpm' is not deb, tar, msi or AUTO"},
    {{"Extract=deb", "CustomerId=" + g1},
     "Extract= writes the package out and installs nothing: CustomerId cannot go with it (only "
     "Dir= can)"},
    {{"PatchInstall=TRUE", "Extract=tar"},
     "Extract= writes the package out and installs nothing: PatchInstall cannot go with it (only "
     "Dir= can)"},
    {{"Dir=/tmp/out"}, "Dir= applies only with Extract=deb|tar|msi|AUTO or ExtractMSI=64"},
    {plus({"Dir=/tmp/out"}), "Dir= applies only with Extract=deb|tar|msi|AUTO or ExtractMSI=64"},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=http://h:8080/CloudAgent/"},
     "WebServiceUri: 'http://h:8080/CloudAgent/' is not an https URL (https://host[:port]/path)"},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=<platform_url>/CloudAgent/"},
     "WebServiceUri: '<platform_url>/CloudAgent/' is not an https URL (https://host[:port]/path)"},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=https:///CloudAgent/"},
     "WebServiceUri: 'https:///CloudAgent/' is not a valid URL: no host"},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=https://h:0/"},
     "WebServiceUri: 'https://h:0/' is not a valid URL: the port must be a number from 1 to 65535"},
    {{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=https://admin:Hunter2@h/"},
     "WebServiceUri: 'https://***@h/' carries credentials, which are not supported"},
    {{"CustomerId="}, "CustomerId: empty value"},
    {{"WebServiceUri=\"\""}, "WebServiceUri: empty value"},
    {{"CustomerId"}, "'CustomerId' is not of the form Key=Value (quote values that contain spaces)"},
    {{"=" + g1}, "'=" + g1 + "' has no key before '='"},
    {{"--root", "/tmp/x"}, "unknown option '--root' (arguments are Key=Value; /? shows the usage)"},
    {{"/quiet"}, "unknown option '/quiet' (arguments are Key=Value; /? shows the usage)"},
    {{"CustomerId=\"" + g1 + "\" trailing"}, "CustomerId: the quoted value is followed by more text"},
    {plus({"Proxy=/u http://p:1 /a http://pac/x.pac"}),
     "Proxy: /u and /a exclude each other (a PAC file chooses the proxies itself)"},
    {plus({"Proxy=/n bob /p Hunter2"}),
     "Proxy: /n and /p need /u (proxy URLs) or /a (a PAC file URL)"},
    {plus({"Proxy=/u http://user:Hunter2@p:1"}),
     "Proxy: /u: 'http://***@p:1' carries credentials; give them with /n and /p instead"},
    {plus({"CaBundle=/tmp/a\nb"}), "CaBundle: the path contains a control character"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.args);
    auto reason = reason_of(parse_setup_args(r.args));
    CHECK(reason == r.reason);
    CHECK(reason.find("Hunter2") == std::string::npos);
  }
}

TEST_CASE("parse_setup_args never quotes a password cut off by a missing quote") {
  // The password "Hunter2 Zq99" without quotes, in the places deployment tools
  // and shells leave it.
  const strings ids{"CustomerId=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri};
  struct row {
    strings tail;
    std::string reason;
  };
  std::vector<row> rows{
    {{"Proxy=/u http://p:1 /n bob /p Hunter2", "Zq99"},
     "the argument after Proxy= is not of the form Key=Value (not shown: it may be part of a "
     "password or key; quote values that contain spaces)"},
    {{"Proxy=/u http://p:1 /n bob /p Hunter2", "Zq99=x"},
     "unknown argument after Proxy= (not shown: it may be part of a password or key; quote values "
     "that contain spaces)"},
    {{"Proxy=/u http://p:1 /n bob /p", "Hunter2", "Zq99"}, "Proxy: /p needs a value"},
    {{"Proxy=\"/u http://p:1 /n bob /p Hunter2 Zq99\""},
     "Proxy: unexpected argument after the /p password (not shown; quote a password that contains "
     "spaces)"},
    {{"Proxy=/u http://p:1 /n bob /p Hunter2 Zq99"},
     "Proxy: unexpected argument after the /p password (not shown; quote a password that contains "
     "spaces)"},
    {{"Proxy=/u http://p:1 /n bob /p \"Hunter2 Zq99"},
     "Proxy: unterminated quote: the '\"' at character 25 is never closed"},
    {{"Proxy=/u http://p:1 /n bob /p Hunter2", "Proxy=/u http://p:2 /n bob /p Hunter2"},
     "Proxy given twice"},
    {{"/p", "Hunter2"}, "unknown option '/p' (arguments are Key=Value; /? shows the usage)"},
  };
  for (const auto& r : rows) {
    auto args = ids;
    args.insert(args.end(), r.tail.begin(), r.tail.end());
    CAPTURE(args);
    auto reason = reason_of(parse_setup_args(args));
    CHECK(reason == r.reason);
    CHECK(reason.find("Hunter2") == std::string::npos);
    CHECK(reason.find("Zq99") == std::string::npos);
  }
  // The same line as SCCM passes it, the Proxy= value not quoted at all.
  auto reason = reason_of(parse_setup_command_line(
    "CustomerId=" + g1 + " ActivationId=" + g2 + " WebServiceUri=" + uri
    + " Proxy=/u http://p:1 /n bob /p Hunter2"));
  CHECK(reason.find("Hunter2") == std::string::npos);
  // A valid key after Proxy= is still reported normally.
  CHECK(reason_of(parse_setup_args({"Proxy=/u http://p:1", "CustomerId={1}"}))
        == "CustomerId: '{1}' is not a GUID of the form {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}");
}

TEST_CASE("to_log_string writes the arguments back without the password") {
  auto request = parse_setup_args({"customerid=" + g1, "ActivationId=" + g2, "WebServiceUri=" + uri,
                                   R"(Proxy=/u http://p1:8080;http://p2:3128 /n bob /p "Hunter2 Zq99")",
                                   "GoldenImage=true", "CaBundle=/data/ca.pem"});
  REQUIRE(request);
  auto text = to_log_string(*request);
  CHECK(text
        == "CustomerId=" + g1 + " ActivationId=" + g2 + " WebServiceUri=" + uri
             + R"( Proxy="/u http://p1:8080;http://p2:3128 /n bob /p ***" CaBundle=/data/ca.pem GoldenImage=TRUE)");
  CHECK(text.find("Hunter2") == std::string::npos);
  CHECK(to_log_string(*parse_setup_args({"PatchInstall=true", "AllowDowngrade=1"}))
        == "PatchInstall=TRUE AllowDowngrade=TRUE");
  CHECK(to_log_string(*parse_setup_args({"extract=tar", "dir=/tmp/x"})) == "Extract=tar Dir=/tmp/x");
  CHECK(to_log_string(*parse_setup_args({"Extract=auto"})) == "Extract=AUTO");
  // What is logged parses back to the same request (the password aside).
  auto reparsed = parse_setup_command_line(to_log_string(*request));
  REQUIRE(reparsed);
  CHECK(reparsed->customer_id == request->customer_id);
  CHECK(reparsed->proxy->proxy_urls == request->proxy->proxy_urls);
}

TEST_CASE("setup_usage names every key, action and exit code") {
  auto usage = setup_usage();
  for (auto word : {"CustomerId=", "ActivationId=", "WebServiceUri=", "Proxy=", "CaBundle=",
                    "TrustKey=", "GoldenImage=", "PatchInstall=", "AllowDowngrade=", "Extract=deb|tar|msi|AUTO", "ExtractMSI=64",
                    "Dir=", "/?", "--help", "1603", "1618", "1638", "1639"}) {
    CAPTURE(word);
    CHECK(usage.find(word) != std::string::npos);
  }
  CHECK(usage.back() == '\n');
}
