// What the MSI's install action passes to vigil-setup's grammar
// (installer/windows/vigil-agent.wxs: every property, empty or not).

#include <doctest/doctest.h>

#include "installer/package_script.hpp"
#include "installer/setup_args.hpp"

using namespace vigil;

namespace {

const std::vector<std::string> empty_properties{"CustomerId=", "ActivationId=", "WebServiceUri=",
                                                "CaBundle=", "TrustKey=", "Proxy=",
                                                "GoldenImage=", "PatchInstall="};

} // namespace

TEST_CASE("msi_setup_args: the properties given, the empty ones dropped") {
  auto given = empty_properties;
  given[0] = "CustomerId={6358AD55-51CA-4693-A188-F9821BA69174}";
  given[1] = "ActivationId={8890D190-A26A-4F5F-9821-CB14EFB78EDB}";
  given[2] = "WebServiceUri=https://127.0.0.1:1/CloudAgent/";
  given[5] = "Proxy=/u http://127.0.0.1:3128";
  auto args = msi_setup_args(given, true);
  CHECK(args == std::vector<std::string>{given[0], given[1], given[2], given[5]});
  auto request = parse_setup_args(args);
  REQUIRE(request);
  CHECK(request->action == setup_action::install);
}

TEST_CASE("msi_setup_args: no identity given over a configured install is PatchInstall; on a "
          "bare machine it stays a bad command line") {
  auto upgrade = msi_setup_args(empty_properties, true);
  CHECK(upgrade == std::vector<std::string>{"PatchInstall=TRUE"});
  auto request = parse_setup_args(upgrade);
  REQUIRE(request);
  CHECK(request->action == setup_action::patch);
  // The guide's `Patchinstall=true`, given: taken as it is.
  auto given = empty_properties;
  given.back() = "PatchInstall=true";
  CHECK(msi_setup_args(given, true) == std::vector<std::string>{"PatchInstall=true"});
  // Nothing configured and nothing given: vigil-setup's own refusal (1639).
  CHECK(msi_setup_args(empty_properties, false).empty());
  CHECK_FALSE(parse_setup_args(msi_setup_args(empty_properties, false)));
}
