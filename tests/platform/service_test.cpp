// The platform's logic over an in-memory store, no network: provisioning,
// duplicates, check-in, profiles, manifests, and the exactly-once upload.

#include "platform/service.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "platform/platform_store.hpp"
#include "platform/service_util.hpp"
#include "protocol/delta_codec.hpp"
#include "protocol/headers.hpp"
#include "protocol/provision.hpp"
#include "protocol/sha256.hpp"
#include "protocol/upload.hpp"
#include "storage/memory_store.hpp"
#include "tests/platform/local_lock_space.hpp"
#include "tests/platform/service_request.hpp"

using namespace vigil;
using nlohmann::json;

namespace {

const std::string host_a = "{11111111-2222-4333-8444-555555555555}";
const std::string host_b = "{66666666-7777-4888-9999-AAAAAAAAAAAA}";

json inventory() {
  return {{"hostname", "web-1"}, {"fqdn", "web-1.example"}, {"os_name", "Debian GNU/Linux"},
          {"os_version", "12"},  {"kernel", "6.1.0"},          {"arch", "x86_64"},
          {"ipv4", {"127.0.0.1"}}, {"ipv6", json::array()},   {"macs", json::array()}};
}

using test::call;

struct fixture {
  memory_store store{platform::platform_columns()};
  int64_t now = 1'700'000'000;
  std::vector<platform::request_record> log;
  platform::platform_service service{store, {}, [this] { return now; },
                                     [this](const platform::request_record& r) {
                                       log.push_back(r);
                                     }};
  std::string customer, activation;

  fixture() {
    REQUIRE(service.initialize());
    auto ids = service.create_customer({"Vulnerability", "PolicyCompliance"});
    REQUIRE(ids);
    customer = ids->first;
    activation = ids->second;
  }

  http_response call(std::string method, std::string target, std::string body = {},
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    return test::call(service, std::move(method), std::move(target), std::move(body),
                  std::move(headers));
  }

  json provision_body(const std::string& host, const std::string& fingerprint) {
    return {{"customer_id", customer},   {"activation_id", activation},
            {"host_id", host},           {"fingerprint", fingerprint},
            {"agent_version", "0.1.0"},  {"inventory", inventory()}};
  }

  /// Provisions and returns the agent token.
  std::string provision(const std::string& host, const std::string& fingerprint) {
    auto r = call("POST", "v1/provision", provision_body(host, fingerprint).dump());
    CAPTURE(r.body);
    REQUIRE(r.status == 200);
    auto body = json::parse(r.body);
    REQUIRE(body["result"] == "provisioned");
    return body["agent_token"];
  }

  std::vector<std::pair<std::string, std::string>> auth(const std::string& host,
                                                        const std::string& token) {
    return {{"X-Vigil-Host-Id", host}, {"Authorization", "Bearer " + token}};
  }
};

std::string delta_bytes(uint64_t seq, bool full, std::vector<protocol::delta_row> upserts,
                        std::vector<std::string> removals = {}) {
  protocol::delta d;
  d.module = "Vulnerability";
  d.seq = seq;
  d.full = full;
  d.upserts = std::move(upserts);
  d.removals = std::move(removals);
  return protocol::encode_delta(d);
}

} // namespace

TEST_CASE("platform: status answers without authentication") {
  fixture f;
  auto r = f.call("GET", "status");
  CHECK(r.status == 200);
  CHECK(json::parse(r.body)["protocol"] == 1);
}

TEST_CASE("platform: provisioning checks the keys and detects clones") {
  fixture f;
  auto bad = f.provision_body(host_a, "fp-a");
  bad["activation_id"] = "{00000000-0000-4000-8000-000000000000}";
  CHECK(f.call("POST", "v1/provision", bad.dump()).status == 401);
  auto token = f.provision(host_a, "fp-a");
  CHECK(token.size() == 64);
  // The same HostID from another machine: the newer one must re-provision.
  auto clone = f.call("POST", "v1/provision", f.provision_body(host_a, "fp-clone").dump());
  REQUIRE(clone.status == 200);
  CHECK(json::parse(clone.body)["result"] == "reprovision");
  CHECK(json::parse(clone.body).value("agent_token", "") == "");
  auto assets = f.service.assets();
  REQUIRE(assets);
  REQUIRE(assets->size() == 1);
  CHECK((*assets)[0]["duplicates"].size() == 1);
  CHECK((*assets)[0]["fingerprint"] == "fp-a");
  // The original keeps working; the clone comes back with a new HostID.
  CHECK(f.call("POST", "v1/checkin",
               json{{"host_id", host_a}, {"agent_version", "0.1.0"}, {"profile_etag", ""},
                    {"modules", json::array()}}.dump(),
               f.auth(host_a, token)).status == 200);
  f.provision(host_b, "fp-clone");
  assets = f.service.assets();
  REQUIRE(assets->size() == 2);
  for (auto& h : *assets)
    CHECK(h["duplicates"].empty());
}

TEST_CASE("platform: requests need the host's token") {
  fixture f;
  auto token = f.provision(host_a, "fp-a");
  CHECK(f.call("GET", "v1/profile").status == 401);
  CHECK(f.call("GET", "v1/profile", "", f.auth(host_a, std::string(64, '0'))).status == 401);
  CHECK(f.call("GET", "v1/profile", "", f.auth(host_b, token)).status == 401);
  CHECK(f.call("GET", "v1/profile", "", f.auth(host_a, token)).status == 200);
}

TEST_CASE("platform: profile ETag, If-None-Match and live changes") {
  fixture f;
  auto token = f.provision(host_a, "fp-a");
  auto first = f.call("GET", "v1/profile", "", f.auth(host_a, token));
  REQUIRE(first.status == 200);
  auto etag = first.fields.get("ETag");
  CHECK_FALSE(etag.empty());
  auto profile = json::parse(first.body);
  CHECK(profile["capi_interval_s"] == 900);
  std::vector<std::string> modules;
  for (auto& m : profile["modules"])
    modules.push_back(m["name"]);
  CHECK(modules == std::vector<std::string>{"Inventory", "Vulnerability", "PolicyCompliance"});
  auto headers = f.auth(host_a, token);
  headers.emplace_back("If-None-Match", etag);
  CHECK(f.call("GET", "v1/profile", "", headers).status == 304);
  auto changed = f.service.set_profile(f.activation, {"CapiIntervalSeconds=60", "CpuLimit.Vulnerability=25"});
  REQUIRE(changed);
  auto second = f.call("GET", "v1/profile", "", headers);
  REQUIRE(second.status == 200);
  CHECK(second.fields.get("ETag") != etag);
  CHECK(json::parse(second.body)["capi_interval_s"] == 60);
  CHECK_FALSE(f.service.set_profile(f.activation, {"CpuLimit=0"}));
  CHECK_FALSE(f.service.set_profile(f.activation, {"Bogus=1"}));
  CHECK_FALSE(f.service.set_profile(
    f.activation, {R"(BlackoutWindows=[{"days":["Mon"],"start":"25:00","end":"01:00"}])"}));
  CHECK(f.service.set_profile(
    f.activation, {R"(BlackoutWindows=[{"days":["Mon"],"start":"22:00","end":"02:00"}])"}));
}

TEST_CASE("platform: manifests per module with ETag") {
  fixture f;
  auto token = f.provision(host_a, "fp-a");
  auto r = f.call("GET", "v1/manifests/Vulnerability", "", f.auth(host_a, token));
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body)["module"] == "Vulnerability");
  auto headers = f.auth(host_a, token);
  headers.emplace_back("If-None-Match", r.fields.get("ETag"));
  CHECK(f.call("GET", "v1/manifests/Vulnerability", "", headers).status == 304);
  CHECK(f.call("GET", "v1/manifests/Nope", "", f.auth(host_a, token)).status == 404);
}

TEST_CASE("platform: each host gets the manifests of its OS family") {
  fixture f;
  auto linux_token = f.provision(host_a, "fp-a");
  // What the Windows agent reports (host/windows/inventory.cpp).
  auto windows = f.provision_body(host_b, "fp-b");
  windows["inventory"]["os_name"] = "Windows 10";
  windows["inventory"]["os_version"] = "10.0.19045";
  auto provisioned = f.call("POST", "v1/provision", windows.dump());
  REQUIRE(provisioned.status == 200);
  auto windows_token = json::parse(provisioned.body)["agent_token"].get<std::string>();
  auto types = [](const json& manifest) {
    std::vector<std::string> out;
    for (auto& c : manifest["collectors"])
      out.push_back(c["type"]);
    return out;
  };
  auto fetch = [&](const std::string& host, const std::string& token, const std::string& module) {
    auto r = f.call("GET", "v1/manifests/" + module, "", f.auth(host, token));
    CAPTURE(r.body);
    REQUIRE(r.status == 200);
    return r;
  };
  auto linux_vm = fetch(host_a, linux_token, "Vulnerability");
  auto windows_vm = fetch(host_b, windows_token, "Vulnerability");
  CHECK(types(json::parse(linux_vm.body))
        == std::vector<std::string>{"os", "packages", "kernel_modules", "listening_ports",
                                    "services"});
  CHECK(types(json::parse(windows_vm.body))
        == std::vector<std::string>{"os", "packages", "listening_ports", "services"});
  CHECK(linux_vm.fields.get("ETag") == "\"v1\"");
  CHECK(windows_vm.fields.get("ETag") == "\"v1\"");
  // Compliance on Windows reads the registry and no Linux path.
  auto windows_pc = json::parse(fetch(host_b, windows_token, "PolicyCompliance").body);
  CHECK(windows_pc["module"] == "PolicyCompliance");
  bool lua = false;
  for (auto& c : windows_pc["collectors"]) {
    CHECK(c["type"] != "sysctl");
    CHECK(c.dump().find("\"/etc/") == std::string::npos); // no Linux path
    lua = lua || (c["type"] == "registry"
                  && c["key"] == "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System");
  }
  CHECK(lua);
  CHECK(types(json::parse(fetch(host_a, linux_token, "PolicyCompliance").body)).front() == "sysctl");

  // An administrator's Windows manifest reaches Windows hosts only, as a new version.
  auto set = f.service.set_manifest("Inventory", "windows",
                                    {{"collectors", json::array({{{"type", "os"}}, {{"type", "users"}}})}});
  REQUIRE(set);
  CHECK((*set)["version"] == 2);
  CHECK((*set)["module"] == "Inventory");
  auto windows_inv = fetch(host_b, windows_token, "Inventory");
  CHECK(types(json::parse(windows_inv.body)) == std::vector<std::string>{"os", "users"});
  CHECK(windows_inv.fields.get("ETag") == "\"v2\"");
  auto cached = f.auth(host_b, windows_token);
  cached.emplace_back("If-None-Match", "\"v2\"");
  CHECK(f.call("GET", "v1/manifests/Inventory", "", cached).status == 304);
  auto linux_inv = fetch(host_a, linux_token, "Inventory");
  CHECK(types(json::parse(linux_inv.body)) == std::vector<std::string>{"os", "network", "packages"});
  CHECK(linux_inv.fields.get("ETag") == "\"v1\"");
  CHECK_FALSE(f.service.set_manifest("Inventory", "macos", {{"collectors", json::array()}}));
  CHECK_FALSE(f.service.set_manifest("Nope", "linux", {{"collectors", json::array()}}));
  CHECK_FALSE(f.service.set_manifest("Inventory", "linux", {{"collectors", json::array({json{{"kind", "os"}}})}}));
  CHECK_FALSE(f.service.set_manifest("Inventory", "linux",
                                     {{"module", "SCA"}, {"collectors", json::array()}}));
}

TEST_CASE("platform: deltas apply exactly once, in order, resumably") {
  fixture f;
  auto token = f.provision(host_a, "fp-a");
  auto auth = f.auth(host_a, token);
  auto bytes = delta_bytes(1, true, {{"packages/openssl", "3.0"}, {"packages/zlib", "1.2"}});
  auto status = f.call("GET", "v1/deltas/Vulnerability/1", "", auth);
  REQUIRE(status.status == 200);
  CHECK(json::parse(status.body)["received_bytes"] == 0);
  auto put = [&](uint64_t seq, uint64_t offset, const std::string& total, std::string chunk) {
    auto headers = auth;
    headers.emplace_back("X-Vigil-Offset", std::to_string(offset));
    headers.emplace_back("X-Vigil-Total-Size", total);
    return f.call("PUT", "v1/deltas/Vulnerability/" + std::to_string(seq), std::move(chunk),
                  headers);
  };
  auto complete = [&](uint64_t seq, const std::string& all) {
    return f.call("POST", "v1/deltas/Vulnerability/" + std::to_string(seq) + "/complete",
                  json{{"size", all.size()}, {"sha256", protocol::sha256_hex(all)}}.dump(), auth);
  };
  auto half = bytes.size() / 2;
  auto total = std::to_string(bytes.size());
  REQUIRE(put(1, 0, total, bytes.substr(0, half)).status == 200);
  // A chunk at the wrong offset is refused; the status tells where to resume.
  CHECK(put(1, 0, total, bytes.substr(0, half)).status == 409);
  CHECK(json::parse(f.call("GET", "v1/deltas/Vulnerability/1", "", auth).body)["received_bytes"]
        == half);
  REQUIRE(put(1, half, total, bytes.substr(half)).status == 200);
  auto done = complete(1, bytes);
  REQUIRE(done.status == 200);
  CHECK(json::parse(done.body)["applied"] == true);
  CHECK(json::parse(done.body)["rows"] == 2);
  // The same completion again: a duplicate, nothing applied twice.
  auto again = complete(1, bytes);
  REQUIRE(again.status == 200);
  CHECK(json::parse(again.body)["applied"] == false);
  CHECK(json::parse(again.body)["duplicate"] == true);
  CHECK(json::parse(again.body)["rows"] == 2);
  // A seq gap is answered with the seq the platform expects.
  auto gap = f.call("GET", "v1/deltas/Vulnerability/3", "", auth);
  CHECK(gap.status == 409);
  CHECK(json::parse(gap.body)["expected_seq"] == 2);
  // An incremental delta: one change, one removal, one addition.
  auto next = delta_bytes(2, false, {{"packages/openssl", "3.1"}, {"packages/curl", "7.88"}},
                          {"packages/zlib"});
  REQUIRE(put(2, 0, std::to_string(next.size()), next).status == 200);
  auto corrupted = next;
  corrupted.back() ^= 1;
  CHECK(complete(2, corrupted).status == 409); // SHA-256 mismatch: discarded
  CHECK(json::parse(f.call("GET", "v1/deltas/Vulnerability/2", "", auth).body)["received_bytes"]
        == 0);
  REQUIRE(put(2, 0, std::to_string(next.size()), next).status == 200);
  REQUIRE(complete(2, next).status == 200);
  auto rows = f.service.rows(host_a, "Vulnerability");
  REQUIRE(rows);
  CHECK(*rows == json{{"packages/curl", "7.88"}, {"packages/openssl", "3.1"}});
  auto assets = f.service.assets();
  CHECK((*assets)[0]["modules"]["Vulnerability"]["last_seq"] == 2);
  CHECK((*assets)[0]["modules"]["Vulnerability"]["rows"] == 2);
  // A full snapshot replaces everything.
  auto full = delta_bytes(3, true, {{"packages/bash", "5.2"}});
  REQUIRE(put(3, 0, std::to_string(full.size()), full).status == 200);
  REQUIRE(complete(3, full).status == 200);
  CHECK(*f.service.rows(host_a, "Vulnerability") == json{{"packages/bash", "5.2"}});
}

TEST_CASE("platform: hostile bodies get 4xx at every endpoint") {
  fixture f;
  auto token = f.provision(host_a, "fp-a");
  auto auth = f.auth(host_a, token);
  std::vector<std::string> bodies{"", "not json", "{\"customer_id\": 5}", "[1,2,3]",
                                  "{\"host_id\": \"" + host_a + "\"", "null", "\"str\""};
  for (auto& body : bodies) {
    CAPTURE(body);
    CHECK(f.call("POST", "v1/provision", body).status == 400);
    CHECK(f.call("POST", "v1/checkin", body, auth).status == 400);
    CHECK(f.call("POST", "v1/deltas/Vulnerability/1/complete", body, auth).status == 400);
  }
  CHECK(f.call("PUT", "v1/deltas/Vulnerability/1", "x", auth).status == 400); // no offset headers
  CHECK(f.call("DELETE", "v1/profile", "", auth).status == 400);
  CHECK(f.call("GET", "v1/nothing-here", "", auth).status == 404);
  CHECK(f.call("GET", "status").status == 200);
}

TEST_CASE("platform: without a signing key no order is queued (agents obey signed orders only)") {
  // Orders themselves are tested in order_test.cpp, with a signer.
  fixture f;
  auto token = f.provision(host_a, "fp-a");
  auto queued = f.service.add_order(host_a, json{{"type", "uninstall"}});
  REQUIRE_FALSE(queued);
  CHECK(code_of(queued.error()) == ec::invalid_argument);
  auto body = json{{"host_id", host_a}, {"agent_version", "0.1.0"}, {"profile_etag", ""},
                   {"modules", json::array()}}.dump();
  auto answer = f.call("POST", "v1/checkin", body, f.auth(host_a, token));
  REQUIRE(answer.status == 200);
  CHECK(json::parse(answer.body)["orders"].empty());
  CHECK_FALSE(json::parse(answer.body).contains("signed_orders"));
  CHECK((*f.service.assets())[0]["last_checkin"] == f.now);
  CHECK((*f.service.assets())[0]["orders"].empty());
}

TEST_CASE("platform: a protected host that missed three check-in intervals is silent") {
  using vigil::platform::detail::silent_protected_for;
  // Protected, interval 60 s: silent only past 180 s.
  CHECK_FALSE(silent_protected_for(true, 1000, 60, 1000 + 180));
  CHECK(silent_protected_for(true, 1000, 60, 1000 + 181) == 181);
  // Not protected, or never checked in: never flagged.
  CHECK_FALSE(silent_protected_for(false, 1000, 60, 1000 + 100000));
  CHECK_FALSE(silent_protected_for(true, 0, 60, 100000));
}

TEST_CASE("platform: instances sharing a store see each other's changes at their next "
          "request: a profile, a new token, an order") {
  fixture a; // provisions through the first instance
  platform::service_options shared;
  shared.instance_locks = std::make_shared<test::local_lock_space>();
  shared.signer = std::make_shared<const signing_key>(*signing_key::generate());
  // Both instances on the one store, each with its own caches.
  platform::platform_service first{a.store, shared, [&] { return a.now; }};
  platform::platform_service second{a.store, shared, [&] { return a.now; }};
  REQUIRE(first.initialize());
  REQUIRE(second.initialize());
  auto provision = [&](platform::platform_service& s) {
    auto r = call(s, "POST", "v1/provision", a.provision_body(host_a, "fp-a").dump());
    REQUIRE(r.status == 200);
    return json::parse(r.body)["agent_token"].get<std::string>();
  };
  auto token = provision(first);
  auto profile = call(second, "GET", "v1/profile", {}, a.auth(host_a, token));
  REQUIRE(profile.status == 200);
  CHECK(json::parse(profile.body)["capi_interval_s"] == 900); // now cached by the second

  // A profile changed through the first instance's admin command.
  REQUIRE(first.set_profile(a.activation, {"CapiIntervalSeconds=60"}));
  profile = call(second, "GET", "v1/profile", {}, a.auth(host_a, token));
  REQUIRE(profile.status == 200);
  CHECK(json::parse(profile.body)["capi_interval_s"] == 60);

  // The host provisions again through the first: the second refuses the old
  // token it had cached and takes the new one.
  auto renewed = provision(first);
  CHECK(call(second, "GET", "v1/profile", {}, a.auth(host_a, token)).status == 401);
  CHECK(call(second, "GET", "v1/profile", {}, a.auth(host_a, renewed)).status == 200);

  // An order queued through the first is delivered by the second.
  auto order = first.add_order(host_a, json{{"type", "scan"}, {"module", "Inventory"}});
  REQUIRE_MESSAGE(order, render(order.error()));
  auto checkin = call(second, "POST", "v1/checkin",
                      json{{"host_id", host_a}, {"agent_version", "0.1.0"},
                           {"profile_etag", ""}, {"modules", json::array()}}
                        .dump(),
                      a.auth(host_a, renewed));
  REQUIRE(checkin.status == 200);
  CAPTURE(checkin.body);
  auto orders = json::parse(checkin.body).value("signed_orders", json::array());
  CHECK(orders.size() == 1);
}
