// install.conf, the native package's configuration, its maintainer scripts'
// text, and the enrollment an installer made by `vigil-platform package`
// carries (issue 19, items 1 and 3).

#include "installer/install_conf.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "common/error.hpp"
#include "installer/enrollment.hpp"
#include "installer/maintainer_scripts.hpp"
#include "installer/payload.hpp"
#include "installer/rpm_package.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

const std::string customer = "{11111111-2222-3333-4444-555555555555}";
const std::string activation = "{66666666-7777-8888-9999-000000000000}";

std::string reason_of(const caf::expected<setup_request>& r) {
  return r ? std::string{} : context_of(r.error());
}

} // namespace

TEST_CASE("install.conf: vigil-setup's install arguments, one a line, comments and blanks "
          "skipped") {
  auto r = parse_install_conf("# written by Ansible\n\nCustomerId=" + customer
                              + "\r\n  ActivationId=" + activation
                              + "  \nWebServiceUri=https://platform.example:8443/CloudAgent/\n"
                                "Proxy=\"/u http://proxy:3128 /n svc /p s3cret\"\n"
                                "GoldenImage=TRUE");
  CAPTURE(reason_of(r));
  REQUIRE(r);
  CHECK(r->action == setup_action::install);
  CHECK(r->customer_id == customer);
  CHECK(r->activation_id == activation);
  CHECK(r->web_service_uri == "https://platform.example:8443/CloudAgent/");
  REQUIRE(r->proxy);
  CHECK(r->proxy->password == "s3cret");
  CHECK(r->golden_image);
}

TEST_CASE("install.conf: errors are vigil-setup's, word for word") {
  std::vector<std::vector<std::string>> cases{
    {"CustomerId={bad}", "ActivationId=" + activation, "WebServiceUri=https://p.example/"},
    {"CustomerId=" + customer, "ActivationId=" + activation},
    {"CustomerId=" + customer, "ActivationId=" + activation, "WebServiceUri=http://p.example/"},
    {"CustomerId=" + customer, "CustomerId=" + customer},
    {"Colour=blue"},
    {},
  };
  for (auto& args : cases) {
    std::string text;
    for (auto& a : args)
      text += a + "\n";
    CAPTURE(text);
    auto conf = parse_install_conf(text);
    auto setup = parse_setup_args(args);
    REQUIRE_FALSE(conf);
    REQUIRE_FALSE(setup);
    CHECK(reason_of(conf) == context_of(setup.error()));
  }
}

TEST_CASE("install.conf: the package manager chooses the action") {
  for (auto line : {"PatchInstall=TRUE", "Extract=deb", "/?"}) {
    CAPTURE(line);
    auto r = parse_install_conf(line);
    REQUIRE_FALSE(r);
    CHECK(reason_of(r).find("the package manager chooses") != std::string::npos);
  }
}

TEST_CASE("maintainer scripts: thin sh that runs the installed vigil-uninstall under DPKG_ROOT") {
  auto scripts = maintainer_scripts();
  REQUIRE(scripts.size() == 4);
  for (auto& [name, text] : scripts) {
    CAPTURE(name);
    CHECK(text.starts_with("#!/bin/sh\n"));
    CHECK(text.find("set -e\n") != std::string::npos);
    CHECK(text.ends_with("\n"));
  }
  auto& postinst = scripts[0].second;
  CHECK(scripts[0].first == "postinst");
  CHECK(postinst.find("program=\"$DPKG_ROOT\"'/opt/vigil/bin/vigil-uninstall'\n")
        != std::string::npos);
  CHECK(postinst.find("exec \"$program\" --root \"${DPKG_ROOT:-/}\" --package-script postinst "
                      "\"$@\"\n")
        != std::string::npos);
  CHECK(scripts[1].first == "prerm");
  CHECK(scripts[1].second.find("--package-script prerm") != std::string::npos);
  auto& postrm = scripts[2].second;
  CHECK(scripts[2].first == "postrm");
  CHECK(postrm.find("rm -f \"$DPKG_ROOT\"'/etc/opt/vigil/registry.reg'\n") != std::string::npos);
  CHECK(postrm.find("rm -f \"$DPKG_ROOT\"'/etc/opt/vigil/registry.reg.lock'\n")
        != std::string::npos);
  CHECK(postrm.find("db_purge") != std::string::npos);
  // debconf: postinst reads the preseeded answers only without install.conf;
  // config asks nothing; every question of the templates is one it reads.
  CHECK(postinst.find("if [ \"$1\" = configure ] && [ ! -e \"$DPKG_ROOT\"'/etc/vigil/install.conf' ]")
        != std::string::npos);
  CHECK(scripts[3].first == "config");
  CHECK(scripts[3].second.find("db_input") == std::string::npos);
  auto templates = debconf_templates();
  for (auto key : {"CustomerId", "ActivationId", "WebServiceUri", "CaBundle", "TrustKey", "GoldenImage"}) {
    CAPTURE(key);
    CHECK(templates.find(std::string{"Template: vigil-agent/"} + key + "\n") != std::string::npos);
    CHECK(postinst.find(key) != std::string::npos);
  }
  CHECK(templates.find("Proxy") == std::string::npos); // debconf keeps answers in clear
}

TEST_CASE("enrollment: the packaged defaults yield, key by key, to the arguments given") {
  std::vector<std::string> defaults{"CustomerId=" + customer, "ActivationId=" + activation,
                                    "WebServiceUri=https://platform.example/CloudAgent/"};
  CHECK(merge_install_args(defaults, {}) == defaults);
  auto other = "{AAAAAAAA-2222-3333-4444-555555555555}";
  CHECK(merge_install_args(defaults, {std::string{"customerID="} + other, "GoldenImage=TRUE"})
        == std::vector<std::string>{"ActivationId=" + activation,
                                    "WebServiceUri=https://platform.example/CloudAgent/",
                                    std::string{"customerID="} + other, "GoldenImage=TRUE"});
  // Defaults describe a fresh install: any other action takes none of them.
  for (auto given : {std::vector<std::string>{"PatchInstall=TRUE"},
                     std::vector<std::string>{"Extract=deb", "Dir=/tmp"},
                     std::vector<std::string>{"/?"}})
    CHECK(merge_install_args(defaults, given) == given);
  // install.conf over a package's enrollment.
  auto r = parse_install_conf(std::string{"CustomerId="} + other + "\n", defaults);
  REQUIRE(r);
  CHECK(r->customer_id == other);
  CHECK(r->activation_id == activation);
  CHECK(parse_install_conf("", defaults)->customer_id == customer);
}

TEST_CASE("enrollment: attached between the setup program and its payload, which stay as they "
          "were") {
  test::temp_dir dir;
  std::string program = "\x7f" "ELF a setup program";
  std::string payload = "a payload archive";
  auto plain = dir / "plain";
  test::write_file(plain, packed_setup(program, payload));
  CHECK(code_of(read_setup_attachment(plain).error()) == ec::not_found);
  auto enrolled = dir / "enrolled";
  test::write_file(enrolled, packed_setup(program, payload, "the enrollment"));
  CHECK(*read_setup_attachment(enrolled) == "the enrollment");
  CHECK(*read_embedded_payload(enrolled) == payload);
  CHECK(*read_setup_program(enrolled) == program);
  CHECK(*read_setup_program(plain) == program);
  auto e = enrollment{customer, activation, "https://platform.example/CloudAgent/", "PEM",
                      "vigil-ed25519:AAAA"};
  auto lines = enrollment_args(enrollment_conf_text(e), std::filesystem::path{"/x/ca.pem"});
  CHECK(lines.back() == "CaBundle=/x/ca.pem");
  CHECK(std::find(lines.begin(), lines.end(), "CustomerId=" + customer) != lines.end());
}

TEST_CASE("expand_package: the build's vigil-setup with its payload uncompressed, without attachment") {
  auto setup = test::read_file(test::program("vigil-setup"));
  REQUIRE_FALSE(setup.empty());
  auto expanded = expand_package(setup, "vigil-setup");
  REQUIRE(expanded);
  CHECK(expanded->size() > setup.size()); // the payload was compressed
  test::temp_dir dir;
  auto file = dir / "expanded";
  test::write_file(file, *expanded);
  // Itself a vigil-setup file: the same program, a payload with the same VERSION.
  auto original_payload = read_embedded_payload(test::program("vigil-setup"));
  auto payload = read_embedded_payload(file);
  REQUIRE(original_payload);
  REQUIRE(payload);
  CHECK(*archive_member(*payload, "VERSION") == *archive_member(*original_payload, "VERSION"));
  CHECK(*read_setup_program(file) == *read_setup_program(test::program("vigil-setup")));
  // Expanding is stable, and an enrolled copy expands to the same bytes.
  auto again = expand_package(*expanded, "expanded");
  REQUIRE(again);
  CHECK(*again == *expanded);
  auto enrolled = packed_setup(*read_setup_program(test::program("vigil-setup")),
                               *original_payload, "an enrollment");
  auto expanded_enrolled = expand_package(enrolled, "enrolled");
  REQUIRE(expanded_enrolled);
  CHECK(*expanded_enrolled == *expanded);
  CHECK_FALSE(expand_package("not a vigil-setup file", "junk"));
}

TEST_CASE("control_field: the .rpm's summary and description come from the .deb's control") {
  std::string control = "Package: vigil-agent\n"
                        "Version: 0.1.0\n"
                        "Description: Vigil endpoint agent\n"
                        " Vigil provisions the host, 100% of it.\n"
                        " .\n"
                        " Configure it first.\n"
                        "Maintainer: Vigil developers <maintainers@vigil-agent.invalid>\n";
  CHECK(control_field(control, "Version") == "0.1.0");
  CHECK(control_field(control, "Description")
        == "Vigil endpoint agent\nVigil provisions the host, 100% of it.\n\nConfigure it first.");
  CHECK(control_field(control, "Maintainer")
        == "Vigil developers <maintainers@vigil-agent.invalid>");
  // A field name is matched whole, not as a prefix.
  CHECK(control_field(control, "Vers").empty());
  CHECK(control_field(control, "Depends").empty());
  CHECK(rpm_package_name("0.1.0") == "vigil-agent-0.1.0-1.x86_64.rpm");
}
