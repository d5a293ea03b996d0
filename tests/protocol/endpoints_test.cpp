#include "protocol/endpoints.hpp"

#include <doctest/doctest.h>

#include "protocol/headers.hpp"

using namespace vigil::protocol;

TEST_CASE("endpoint builders join the base with exactly one slash") {
  for (auto base : {"/CloudAgent/", "/CloudAgent", "CloudAgent/", "CloudAgent"}) {
    CAPTURE(base);
    CHECK(endpoint_status(base) == "/CloudAgent/status");
    CHECK(endpoint_provision(base) == "/CloudAgent/v1/provision");
    CHECK(endpoint_checkin(base) == "/CloudAgent/v1/checkin");
    CHECK(endpoint_profile(base) == "/CloudAgent/v1/profile");
    CHECK(endpoint_manifest(base, "Inventory") == "/CloudAgent/v1/manifests/Inventory");
    CHECK(endpoint_delta(base, "SCA", 42) == "/CloudAgent/v1/deltas/SCA/42");
    CHECK(endpoint_delta_complete(base, "UDC", 7) == "/CloudAgent/v1/deltas/UDC/7/complete");
  }
  CHECK(endpoint_status("") == "/status");
  CHECK(endpoint_status("/") == "/status");
  CHECK(endpoint_checkin("/a/b/") == "/a/b/v1/checkin");
}

TEST_CASE("endpoint builders keep a module name in one path segment") {
  CHECK(endpoint_manifest("/", "a b/../c") == "/v1/manifests/a%20b%2F..%2Fc");
  CHECK(endpoint_delta("/", "x?y", 1) == "/v1/deltas/x%3Fy/1");
}

TEST_CASE("match_route resolves every built target back to its endpoint") {
  const std::string base = "/CloudAgent/";
  CHECK(match_route(base, endpoint_status(base)) == route{endpoint::status, "", 0, {}, {}});
  CHECK(match_route(base, endpoint_provision(base)) == route{endpoint::provision, "", 0, {}, {}});
  CHECK(match_route(base, endpoint_checkin(base)) == route{endpoint::checkin, "", 0, {}, {}});
  CHECK(match_route(base, endpoint_profile(base)) == route{endpoint::profile, "", 0, {}, {}});
  CHECK(match_route(base, endpoint_manifest(base, "PolicyCompliance"))
        == route{endpoint::manifest, "PolicyCompliance", 0, {}, {}});
  CHECK(match_route(base, endpoint_delta(base, "Inventory", 18446744073709551615ull))
        == route{endpoint::delta, "Inventory", 18446744073709551615ull, {}, {}});
  CHECK(match_route(base, endpoint_delta_complete(base, "SCA", 3))
        == route{endpoint::delta_complete, "SCA", 3, {}, {}});
  CHECK(match_route("/CloudAgent", "/CloudAgent/v1/profile?x=1")
        == route{endpoint::profile, "", 0, {}, {}});
  CHECK(match_route("", "/status") == route{endpoint::status, "", 0, {}, {}});
  CHECK(match_route(base, endpoint_release_package(base, "0.2.0"))
        == route{endpoint::release_package, "", 0, "0.2.0", {}});
  CHECK_FALSE(match_route(base, endpoint_release_package(base, "../x")));
  CHECK_FALSE(match_route(base, endpoint_release_package(base, "0.2.0") + "/"));
  CHECK(match_route(base, endpoint_release_patch(base, "0.2.0", "0.1.0"))
        == route{endpoint::release_patch, "", 0, "0.2.0", "0.1.0"});
  CHECK(endpoint_release_patch(base, "0.2.0", "0.1.0").ends_with("v1/releases/0.2.0/patch/0.1.0"));
  CHECK_FALSE(match_route(base, endpoint_release_patch(base, "0.2.0", "../x")));
  CHECK_FALSE(match_route(base, endpoint_release_patch(base, "0.2.0", "0.1.0") + "/"));
  CHECK_FALSE(match_route(base, endpoint_release_patch(base, "0.2.0", "0.1.0") + "/more"));
}

TEST_CASE("match_route refuses targets that name no endpoint") {
  const std::string base = "/CloudAgent/";
  for (auto target : {"/status", "/CloudAgentX/status", "/CloudAgent/", "/CloudAgent/v1",
                      "/CloudAgent/v2/checkin", "/CloudAgent/v1/checkin/",
                      "/CloudAgent/v1/unknown", "/CloudAgent/v1/manifests/",
                      "/CloudAgent/v1/manifests/inventory", "/CloudAgent/v1/manifests/Inventory/",
                      "/CloudAgent/v1/manifests/Inventory/1", "/CloudAgent/v1/deltas/Inventory",
                      "/CloudAgent/v1/deltas/Inventory/0", "/CloudAgent/v1/deltas/Inventory/01",
                      "/CloudAgent/v1/deltas/Inventory/-1", "/CloudAgent/v1/deltas/Inventory/1x",
                      "/CloudAgent/v1/deltas/Inventory/18446744073709551616",
                      "/CloudAgent/v1/deltas/Inventory/5/",
                      "/CloudAgent/v1/deltas/Inventory/5/completed",
                      "/CloudAgent/v1/deltas/Nope/5", "/CloudAgent/v1/deltas/Inventory/5/complete/x"}) {
    CAPTURE(target);
    CHECK_FALSE(match_route(base, target));
  }
}

TEST_CASE("header names and bearer tokens") {
  CHECK(header_host_id == "X-Vigil-Host-Id");
  CHECK(header_protocol == "X-Vigil-Protocol");
  CHECK(header_offset == "X-Vigil-Offset");
  CHECK(header_total_size == "X-Vigil-Total-Size");
  CHECK(bearer("t0k") == "Bearer t0k");
  CHECK(parse_bearer(bearer("t0k")) == "t0k");
  CHECK(parse_bearer("bearer   abc  ") == "abc");
  CHECK(parse_bearer("BEARER\tabc") == "abc");
  CHECK_FALSE(parse_bearer("Basic abc"));
  CHECK_FALSE(parse_bearer("Bearer"));
  CHECK_FALSE(parse_bearer("Bearer   "));
  CHECK_FALSE(parse_bearer("Bearerabc"));
  CHECK_FALSE(parse_bearer(""));
}

TEST_CASE("parse_byte_count: plain decimal within uint64") {
  CHECK(parse_byte_count("0") == 0u);
  CHECK(parse_byte_count(" 1048576 ") == 1048576u);
  CHECK(parse_byte_count("18446744073709551615") == 18446744073709551615ull);
  for (auto bad : {"", " ", "-1", "+1", "1 2", "0x10", "1.5", "18446744073709551616", "abc"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_byte_count(bad));
  }
}
