// Self-patching on the platform's service, over an in-memory store with an
// injected clock and signer: releases and their signed metadata, serials,
// ranged package downloads, the staged rollout, rollbacks, halting, assets.

#include "platform/service.hpp"

#include <doctest/doctest.h>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/release_metadata.hpp"
#include "common/sha256.hpp"
#include "common/signed_document.hpp"
#include "installer/payload.hpp"
#include "platform/platform_store.hpp"
#include "platform/rollout.hpp"
#include "protocol/checkin.hpp"
#include "protocol/guid.hpp"
#include "storage/memory_store.hpp"
#include "tests/platform/local_lock_space.hpp"
#include "tests/platform/service_request.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using nlohmann::json;

namespace {

/// A ustar archive (no compression) of `members` (name -> content).
std::string tar_of(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out;
  for (auto& [name, content] : members) {
    std::string header(512, '\0');
    auto field = [&](size_t at, size_t width, const std::string& value) {
      header.replace(at, std::min(value.size(), width), value.substr(0, width));
    };
    auto octal = [](uint64_t n, int digits) {
      char buf[24];
      std::snprintf(buf, sizeof buf, "%0*llo", digits, static_cast<unsigned long long>(n));
      return std::string{buf};
    };
    field(0, 100, name);
    field(100, 8, octal(0644, 7));
    field(108, 8, octal(0, 7));
    field(116, 8, octal(0, 7));
    field(124, 12, octal(content.size(), 11));
    field(136, 12, octal(1'700'000'000, 11));
    field(148, 8, "        ");
    header[156] = '0';
    field(257, 6, std::string{"ustar\0", 6});
    field(263, 2, "00");
    unsigned sum = 0;
    for (unsigned char c : header)
      sum += c;
    field(148, 8, octal(sum, 6) + std::string{"\0 ", 2});
    out += header;
    out += content;
    out.append((512 - content.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

const std::string host_a = "{11111111-2222-4333-8444-555555555555}"; // bucket 1

struct fixture {
  test::temp_dir dir;
  memory_store store{platform::platform_columns()};
  int64_t now = 1'700'000'000;
  std::vector<platform::request_record> log;
  std::vector<std::string> notices;
  std::shared_ptr<const signing_key> key =
    std::make_shared<const signing_key>(*signing_key::generate());
  std::unique_ptr<platform::platform_service> service;
  std::string customer, activation;
  std::map<std::string, std::string> tokens;
  /// Set before `start` for a service that shares the store with others.
  std::shared_ptr<lock_space> instance_locks;

  fixture() {
    start();
    auto ids = service->create_customer({"Vulnerability"});
    REQUIRE(ids);
    customer = ids->first;
    activation = ids->second;
  }

  /// (Re)starts the service on the same store and data directory.
  void start() {
    platform::service_options options;
    options.signer = key;
    options.data_dir = dir / "data";
    options.notice = [this](const std::string& line) { notices.push_back(line); };
    options.instance_locks = instance_locks;
    service = std::make_unique<platform::platform_service>(
      store, options, [this] { return now; },
      [this](const platform::request_record& r) { log.push_back(r); });
    REQUIRE(service->initialize());
  }

  /// A vigil-setup file whose payload says `version` (and `filler` makes it
  /// differ from another of the same version).
  std::filesystem::path setup_file(const std::string& version, const std::string& filler = "") {
    auto stub = dir / "stub";
    test::write_file(stub, "#!/bin/false\nstub program bytes " + filler);
    auto out = dir / ("vigil-setup-" + version + filler);
    auto archive = tar_of({{"VERSION", version + "\n"}, {"bin/vigil-agent", "agent " + version}});
    REQUIRE(pack_payload(stub, archive, out));
    return out;
  }

  json add(const std::string& version, const std::string& filler = "") {
    auto added = service->add_release(setup_file(version, filler).string(), 30 * 86400);
    REQUIRE_MESSAGE(added, (added ? "" : render(added.error())));
    return *added;
  }

  http_response call(std::string method, std::string target, std::string body = {},
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    return test::call(*service, std::move(method), std::move(target), std::move(body),
                      std::move(headers));
  }

  void provision(const std::string& host) {
    json body{{"customer_id", customer},
              {"activation_id", activation},
              {"host_id", host},
              {"fingerprint", "fp-" + host},
              {"agent_version", "0.1.0"},
              {"inventory", {{"hostname", "h"}, {"fqdn", "h"}, {"os_name", "Debian"},
                             {"os_version", "12"}, {"kernel", "6.1"}, {"arch", "x86_64"},
                             {"ipv4", json::array()}, {"ipv6", json::array()},
                             {"macs", json::array()}}}};
    auto r = call("POST", "v1/provision", body.dump());
    REQUIRE(r.status == 200);
    tokens[host] = json::parse(r.body)["agent_token"];
  }

  std::vector<std::pair<std::string, std::string>> auth(const std::string& host) {
    return {{"X-Vigil-Host-Id", host}, {"Authorization", "Bearer " + tokens.at(host)}};
  }

  /// One check-in; returns the answer.
  protocol::checkin_response checkin(const std::string& host, const std::string& version,
                                     std::optional<protocol::upgrade_report> report = {}) {
    protocol::checkin_request req;
    req.host_id = host;
    req.agent_version = version;
    req.upgrade = std::move(report);
    auto r = call("POST", "v1/checkin", protocol::to_body(req), auth(host));
    CAPTURE(r.body);
    REQUIRE(r.status == 200);
    auto answer = protocol::parse_body<protocol::checkin_response>(r.body);
    REQUIRE(answer);
    return *answer;
  }

  json host_asset(const std::string& host) {
    auto assets = service->assets();
    REQUIRE(assets);
    for (auto& h : *assets)
      if (h["host_id"] == host)
        return h;
    FAIL("no asset " << host);
    return {};
  }
};

/// The metadata in `envelope`, verified with `key`'s public half.
release_metadata verified(const std::string& envelope, const signing_key& key) {
  trusted_keys keys;
  REQUIRE(keys.add(key.public_key_text()));
  auto payload = open_document(envelope, keys);
  REQUIRE(payload);
  auto meta = release_metadata::parse(*payload);
  REQUIRE(meta);
  return *meta;
}

protocol::upgrade_report report(std::string state, std::string target, int64_t at,
                                std::string reason = "") {
  return {std::move(state), std::move(target), std::move(reason), at};
}

} // namespace

TEST_CASE("releases: added, stored and signed; the metadata verifies with the root key") {
  fixture f;
  auto file = f.setup_file("0.2.0");
  auto bytes = test::read_file(file);
  auto added = f.service->add_release(file.string(), 7 * 86400);
  REQUIRE(added);
  CHECK((*added)["version"] == "0.2.0");
  auto stored = test::read_file(f.dir / "data" / "releases" / "0.2.0" / "vigil-setup");
  CHECK(stored == bytes);
  auto envelope = test::read_file(f.dir / "data" / "releases" / "0.2.0" / "metadata.json");
  auto meta = verified(envelope.substr(0, envelope.find('\n')), *f.key);
  CHECK(meta.version == "0.2.0");
  CHECK(meta.sha256 == sha256_hex(bytes));
  CHECK(meta.size == bytes.size());
  CHECK(meta.serial == 1);
  CHECK(meta.issued_at == f.now);
  CHECK(meta.expires_at == f.now + 7 * 86400);
  CHECK(meta.package_name == "vigil-setup");
  // Another key's public half does not verify it.
  auto other = signing_key::generate();
  trusted_keys wrong;
  REQUIRE(wrong.add(other->public_key_text()));
  CHECK_FALSE(open_document(envelope, wrong));
  // Not a vigil-setup file, and a payload without VERSION: refused, by name.
  test::write_file(f.dir / "plain", "just some bytes");
  auto plain = f.service->add_release((f.dir / "plain").string(), 86400);
  REQUIRE_FALSE(plain);
  CHECK(code_of(plain.error()) == ec::invalid_argument);
  CHECK(render(plain.error()).find("no agent payload") != std::string::npos);
  REQUIRE(pack_payload(f.dir / "plain", tar_of({{"bin/x", "x"}}), f.dir / "noversion"));
  auto unversioned = f.service->add_release((f.dir / "noversion").string(), 86400);
  REQUIRE_FALSE(unversioned);
  CHECK(render(unversioned.error()).find("no VERSION") != std::string::npos);
  // Without a signer, nothing is signed.
  platform::platform_service unsigned_service{f.store, {}, [&] { return f.now; }};
  CHECK_FALSE(unsigned_service.add_release(file.string(), 86400));
}

TEST_CASE("releases: serials only grow, across versions, re-adds and restarts") {
  fixture f;
  CHECK(f.add("0.2.0")["serial"] == 1);
  CHECK(f.add("0.3.0")["serial"] == 2);
  auto again = f.add("0.2.0", "rebuilt");
  CHECK(again["serial"] == 3);
  f.start();
  CHECK(f.add("0.1.1")["serial"] == 4);
  auto listed = f.service->list_releases();
  REQUIRE(listed);
  REQUIRE(listed->size() == 3);
  CHECK((*listed)[1]["version"] == "0.2.0");
  CHECK((*listed)[1]["serial"] == 3); // the latest metadata replaced the older one
  CHECK((*listed)[1]["sha256"] == sha256_hex(test::read_file(f.dir / "vigil-setup-0.2.0rebuilt")));
  CHECK((*listed)[1]["halted"] == false);
}

TEST_CASE("releases: the package is served whole, from a byte range, or not at all") {
  fixture f;
  f.provision(host_a);
  f.add("0.2.0");
  auto bytes = test::read_file(f.dir / "data" / "releases" / "0.2.0" / "vigil-setup");
  auto total = std::to_string(bytes.size());
  auto target = "v1/releases/0.2.0/package";
  CHECK(f.call("GET", target).status == 401); // authenticated like the rest of v1
  auto whole = f.call("GET", target, "", f.auth(host_a));
  REQUIRE(whole.status == 200);
  CHECK(whole.body == bytes);
  CHECK(whole.fields.get("Accept-Ranges") == "bytes");
  CHECK(f.log.back().outcome == "range=whole");
  auto ranged = [&](const std::string& range) {
    auto headers = f.auth(host_a);
    headers.emplace_back("Range", range);
    return f.call("GET", target, "", headers);
  };
  auto tail = ranged("bytes=100-");
  REQUIRE(tail.status == 206);
  CHECK(tail.body == bytes.substr(100));
  CHECK(tail.fields.get("Content-Range")
        == "bytes 100-" + std::to_string(bytes.size() - 1) + "/" + total);
  CHECK(f.log.back().outcome == "range=100-" + std::to_string(bytes.size() - 1));
  auto middle = ranged("bytes=10-19");
  REQUIRE(middle.status == 206);
  CHECK(middle.body == bytes.substr(10, 10));
  CHECK(middle.fields.get("Content-Range") == "bytes 10-19/" + total);
  auto past = ranged("bytes=" + total + "-");
  CHECK(past.status == 416);
  CHECK(past.fields.get("Content-Range") == "bytes */" + total);
  CHECK(f.log.back().outcome == "range=unsatisfiable");
  // If-Range with another package's ETag: the whole current package.
  auto headers = f.auth(host_a);
  headers.emplace_back("Range", "bytes=100-");
  headers.emplace_back("If-Range", "\"" + std::string(64, '0') + "\"");
  CHECK(f.call("GET", target, "", headers).status == 200);
  headers.back().second = whole.fields.get("ETag");
  CHECK(f.call("GET", target, "", headers).status == 206);
  auto unknown = f.call("GET", "v1/releases/9.9.9/package", "", f.auth(host_a));
  CHECK(unknown.status == 404);
  CHECK(json::parse(unknown.body)["code"] == "not_found");
  CHECK(f.call("POST", target, "", f.auth(host_a)).status == 400);
}

TEST_CASE("rollout: only the hosts in RolloutPercent are offered the target, signed") {
  fixture f;
  std::vector<std::string> hosts;
  for (int i = 0; i < 40; ++i) {
    hosts.push_back(protocol::make_guid());
    f.provision(hosts.back());
  }
  // A target without a release is offered to nobody.
  REQUIRE(f.service->set_profile(f.activation, {"TargetVersion=0.2.0", "RolloutPercent=40"}));
  CHECK_FALSE(f.checkin(hosts[0], "0.1.0").upgrade);
  CHECK(f.host_asset(hosts[0])["rollout"] == "no_release");
  f.add("0.2.0");
  CHECK_FALSE(f.service->set_profile(f.activation, {"RolloutPercent=101"}));
  CHECK_FALSE(f.service->set_profile(f.activation, {"TargetVersion=latest"}));
  int offered = 0;
  for (auto& host : hosts) {
    CAPTURE(host);
    auto answer = f.checkin(host, "0.1.0");
    CHECK(answer.upgrade.has_value() == platform::in_rollout(host, 40));
    if (!answer.upgrade) {
      CHECK(f.host_asset(host)["rollout"] == "not_in_rollout");
      continue;
    }
    ++offered;
    CHECK(answer.upgrade->version == "0.2.0");
    auto meta = verified(answer.upgrade->metadata, *f.key);
    CHECK(meta.version == "0.2.0");
    CHECK(meta.serial == 1);
    // Stable: the next check-in gets the same answer.
    CHECK(f.checkin(host, "0.1.0").upgrade == answer.upgrade);
  }
  MESSAGE(offered << " of 40 hosts offered at 40 %");
  // A host on the target gets its own release's metadata, which signs the
  // program files self-protection restores; the agent installs nothing for
  // the version it runs.
  auto on_target = std::find_if(hosts.begin(), hosts.end(),
                                [](auto& h) { return platform::in_rollout(h, 40); });
  REQUIRE(on_target != hosts.end());
  auto current = f.checkin(*on_target, "0.2.0").upgrade;
  REQUIRE(current);
  CHECK(current->version == "0.2.0");
  CHECK(f.host_asset(*on_target)["rollout"] == "current");
  // RolloutPercent is kept with the profile: a restarted platform agrees.
  f.start();
  for (auto& host : hosts)
    CHECK(f.checkin(host, "0.1.0").upgrade.has_value() == platform::in_rollout(host, 40));
  // 100 %: everyone.
  REQUIRE(f.service->set_profile(f.activation, {"RolloutPercent=100"}));
  for (auto& host : hosts)
    CHECK(f.checkin(host, "0.1.0").upgrade.has_value());
}

TEST_CASE("rollout: a host that rolled a release back is not offered it until newer metadata") {
  fixture f;
  f.provision(host_a);
  REQUIRE(f.service->set_profile(f.activation, {"TargetVersion=0.2.0"}));
  f.add("0.2.0");
  REQUIRE(f.checkin(host_a, "0.1.0").upgrade);
  f.checkin(host_a, "0.1.0", report("installing", "0.2.0", f.now));
  auto after = f.checkin(host_a, "0.1.0",
                         report("rolled_back", "0.2.0", f.now + 60, "never_checked_in"));
  CHECK_FALSE(after.upgrade);
  CHECK_FALSE(f.checkin(host_a, "0.1.0").upgrade); // no report this time: still not
  CHECK(f.host_asset(host_a)["rollout"] == "rolled_back");
  // Remembered across a restart of the platform.
  f.start();
  CHECK_FALSE(f.checkin(host_a, "0.1.0").upgrade);
  // Newer metadata for the version: offered again, with the higher serial.
  f.now += 3600;
  f.add("0.2.0", "fixed");
  auto again = f.checkin(host_a, "0.1.0");
  REQUIRE(again.upgrade);
  CHECK(verified(again.upgrade->metadata, *f.key).serial == 2);
}

TEST_CASE("rollout: 3 of 5 canaries rolling back halt it; the other 2 are never offered it") {
  fixture f;
  std::vector<std::string> canaries;
  for (int i = 0; i < 5; ++i) {
    canaries.push_back(protocol::make_guid());
    f.provision(canaries.back());
  }
  REQUIRE(f.service->set_profile(f.activation, {"TargetVersion=0.2.0"}));
  f.add("0.2.0");
  for (int i = 0; i < 3; ++i) {
    auto& host = canaries[i];
    REQUIRE(f.checkin(host, "0.1.0").upgrade);
    f.checkin(host, "0.1.0", report("downloading", "0.2.0", f.now));
    f.checkin(host, "0.1.0", report("installing", "0.2.0", f.now + 1));
    CHECK(f.notices.empty());
    f.checkin(host, "0.1.0", report("rolled_back", "0.2.0", f.now + 2, "crashed_at_start"));
  }
  REQUIRE(f.notices.size() == 1);
  CHECK(f.notices[0] == "rollout of 0.2.0 halted: 3 of 3 hosts rolled back");
  for (int i = 3; i < 5; ++i) {
    CHECK_FALSE(f.checkin(canaries[i], "0.1.0").upgrade);
    CHECK(f.host_asset(canaries[i])["rollout"] == "halted");
  }
  auto listed = f.service->list_releases();
  REQUIRE(listed);
  CHECK((*listed)[0]["halted"] == true);
  CHECK((*listed)[0]["halted_at"] == f.now);
  CHECK((*listed)[0]["tried"] == 3);
  CHECK((*listed)[0]["rolled_back"] == 3);
  // Kept across a restart, and not reported again.
  f.start();
  CHECK_FALSE(f.checkin(canaries[4], "0.1.0").upgrade);
  f.checkin(canaries[0], "0.1.0", report("rolled_back", "0.2.0", f.now + 5, "again"));
  CHECK(f.notices.size() == 1);
  CHECK((*f.service->list_releases())[0]["halted"] == true);
}

TEST_CASE("rollout: succeeded hosts count as tried, so a few rollbacks among many do not halt") {
  fixture f;
  std::vector<std::string> hosts;
  for (int i = 0; i < 8; ++i) {
    hosts.push_back(protocol::make_guid());
    f.provision(hosts.back());
  }
  REQUIRE(f.service->set_profile(f.activation, {"TargetVersion=0.2.0"}));
  f.add("0.2.0");
  // The halt rule is applied as reports arrive: 5 successes first, then 3
  // rollbacks make 3 of 8, under 50 %.
  for (int i = 7; i >= 0; --i)
    f.checkin(hosts[i], i < 3 ? "0.1.0" : "0.2.0",
              report(i < 3 ? "rolled_back" : "succeeded", "0.2.0", f.now));
  CHECK(f.notices.empty());
  auto listed = (*f.service->list_releases())[0];
  CHECK(listed["tried"] == 8);
  CHECK(listed["succeeded"] == 5);
  CHECK(listed["rolled_back"] == 3);
  CHECK(listed["halted"] == false);
}

TEST_CASE("assets: agent_version and the upgrade object per host") {
  fixture f;
  f.provision(host_a);
  auto fresh = f.host_asset(host_a);
  CHECK(fresh["agent_version"] == "0.1.0");
  CHECK(fresh["upgrade"] == json{{"state", "none"}, {"target", ""}, {"reason", ""}, {"at", 0}});
  CHECK(fresh["rollout"] == "no_target");
  f.add("0.2.0");
  REQUIRE(f.service->set_profile(f.activation, {"TargetVersion=0.2.0"}));
  f.checkin(host_a, "0.1.0", report("refused", "0.2.0", f.now - 5, "hash_mismatch: x"));
  auto refused = f.host_asset(host_a);
  CHECK(refused["upgrade"] == json{{"state", "refused"}, {"target", "0.2.0"},
                                   {"reason", "hash_mismatch: x"}, {"at", f.now - 5}});
  CHECK(refused["rollout"] == "offer");
  f.checkin(host_a, "0.2.0", report("succeeded", "0.2.0", f.now));
  auto done = f.host_asset(host_a);
  CHECK(done["agent_version"] == "0.2.0");
  CHECK(done["upgrade"]["state"] == "succeeded");
  CHECK(done["upgrade"]["at"] == f.now);
  CHECK(done["target_version"] == "0.2.0");
  CHECK(done["rollout"] == "current");
  // Kept in the store: a restarted platform shows the same.
  f.start();
  CHECK(f.host_asset(host_a)["upgrade"]["state"] == "succeeded");
}

TEST_CASE("releases: an instance sharing the store serves a release another one added, "
          "its files taken from the store and checked") {
  fixture f;
  f.instance_locks = std::make_shared<test::local_lock_space>();
  f.start();
  f.provision(host_a);
  // The second instance: its own, empty data directory.
  platform::service_options options;
  options.signer = f.key;
  options.data_dir = f.dir / "data-b";
  options.instance_locks = f.instance_locks;
  std::vector<std::string> notices_b;
  options.notice = [&](const std::string& line) { notices_b.push_back(line); };
  platform::platform_service second{f.store, options, [&] { return f.now; }};
  REQUIRE(second.initialize());
  auto package = [&](platform::platform_service& s, const std::string& version) {
    return test::call(s, "GET", "v1/releases/" + version + "/package", {}, f.auth(host_a));
  };

  f.add("0.2.0");
  auto bytes = test::read_file(f.dir / "data" / "releases" / "0.2.0" / "vigil-setup");
  auto served = package(second, "0.2.0");
  REQUIRE(served.status == 200);
  CHECK(served.body == bytes);
  CHECK(test::read_file(f.dir / "data-b" / "releases" / "0.2.0" / "metadata.json")
        == test::read_file(f.dir / "data" / "releases" / "0.2.0" / "metadata.json"));

  // A package altered in the store is refused, named, and never written.
  f.add("0.3.0");
  std::string first_chunk = platform::join_key({"0.3.0", "vigil-setup", platform::padded(0)});
  auto stored = f.store.get(platform::column::release_files, first_chunk);
  REQUIRE(stored);
  REQUIRE(stored->has_value());
  auto altered = **stored;
  altered[0] ^= 1;
  REQUIRE(f.store.put(platform::column::release_files, first_chunk, altered));
  // The release is known but not here: a server error, never altered bytes.
  CHECK(package(second, "0.3.0").status >= 500);
  REQUIRE(notices_b.size() == 1);
  CHECK(notices_b[0].find("release 0.3.0 cannot be served here") != std::string::npos);
  CHECK(notices_b[0].find("SHA-256") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(f.dir / "data-b" / "releases" / "0.3.0" / "metadata.json"));
}
