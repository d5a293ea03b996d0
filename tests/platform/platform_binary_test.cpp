// The real vigil-platform binary: first start, admin commands while serving,
// resumable exactly-once upload across a SIGKILL, hostile input, TLS floor.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <random>

#include "common/error.hpp"
#include "net/platform_client.hpp"
#include "protocol/delta_codec.hpp"
#include "tests/platform/platform_client_fixture.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using nlohmann::json;

namespace {

const std::string host_id = "{0F0F0F0F-1111-4222-8333-444444444444}";

using test::client_for;

protocol::provision_request provision_request(const std::pair<std::string, std::string>& ids) {
  protocol::provision_request r;
  r.customer_id = ids.first;
  r.activation_id = ids.second;
  r.host_id = host_id;
  r.fingerprint = "fingerprint-1";
  r.agent_version = "0.1.0";
  r.inventory.hostname = "test-host";
  return r;
}

/// Provisions `host_id` and sets the client's credentials; returns the token.
std::string provision(platform_client& client, const test::platform_process& platform) {
  auto ids = platform.create_customer("Vulnerability,PolicyCompliance");
  auto answer = client.provision(provision_request(ids));
  REQUIRE(answer);
  REQUIRE(answer->result == protocol::provision_result::provisioned);
  client.set_credentials(host_id, answer->agent_token);
  return answer->agent_token;
}

/// The connection numbers (`conn=N`) of the platform's log lines in `log`,
/// one per request, in order.
std::vector<uint64_t> connections_of(const std::string& log) {
  std::vector<uint64_t> out;
  for (size_t at = log.find(" conn="); at != std::string::npos; at = log.find(" conn=", at + 1))
    out.push_back(std::stoull(log.substr(at + 6)));
  return out;
}

size_t distinct(std::vector<uint64_t> v) {
  std::sort(v.begin(), v.end());
  return static_cast<size_t>(std::unique(v.begin(), v.end()) - v.begin());
}

json assets(const test::platform_process& platform) {
  auto r = test::run({test::program("vigil-platform").string(), "assets", "--data-dir",
                      platform.data_dir().string(), "--json"});
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

} // namespace

TEST_CASE("vigil-platform: first start, admin commands while serving, graceful stop") {
  test::temp_dir dir;
  test::platform_process platform{dir / "data"};
  CHECK(std::filesystem::exists(platform.ca_file()));
  auto client = client_for(platform);
  auto status = client.status();
  REQUIRE(status);
  CHECK(status->protocol == 1);
  CHECK(assets(platform).empty());
  provision(client, platform);
  auto listed = assets(platform);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["host_id"] == host_id);
  CHECK(listed[0]["hostname"] == "test-host");
  // A profile change made while serving reaches the next fetch.
  auto first = client.profile("");
  REQUIRE(first);
  REQUIRE(first->has_value());
  auto set = test::run({test::program("vigil-platform").string(), "profile", "set", "--data-dir",
                        platform.data_dir().string(), "--activation", listed[0]["activation_id"],
                        "CapiIntervalSeconds=30"});
  CAPTURE(set.err);
  REQUIRE(set.exit_code == 0);
  auto unchanged = client.profile((*first)->etag);
  REQUIRE(unchanged);
  REQUIRE(unchanged->has_value());
  CHECK((*unchanged)->capi_interval_s == 30);
  auto started = std::chrono::steady_clock::now();
  CHECK(platform.terminate() == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds{5});
  CHECK_FALSE(std::filesystem::exists(platform.data_dir() / "admin.sock"));
  // Admin commands work offline too, on the same data.
  CHECK(assets(platform).size() == 1);
}

TEST_CASE("vigil-platform: manifest set --os windows reaches the Windows hosts only") {
  test::temp_dir dir;
  test::platform_process platform{dir / "data"};
  auto ids = platform.create_customer("Vulnerability");
  // Two hosts: one as the Linux agent provisions, one as the Windows agent.
  auto linux_host = client_for(platform);
  auto windows_host = client_for(platform);
  auto request = provision_request(ids);
  request.inventory.os_name = "Debian GNU/Linux";
  auto answer = linux_host.provision(request);
  REQUIRE(answer);
  linux_host.set_credentials(request.host_id, answer->agent_token);
  request.host_id = "{0F0F0F0F-1111-4222-8333-555555555555}";
  request.fingerprint = "fingerprint-2";
  request.inventory.os_name = "Windows 11";
  answer = windows_host.provision(request);
  REQUIRE(answer);
  windows_host.set_credentials(request.host_id, answer->agent_token);
  test::write_file(dir / "inventory.json", R"({"collectors":[{"type":"os"},{"type":"users"}]})");
  auto set = test::run({test::program("vigil-platform").string(), "manifest", "set", "--data-dir",
                        platform.data_dir().string(), "--module", "Inventory", "--os", "windows",
                        (dir / "inventory.json").string()});
  CAPTURE(set.err);
  REQUIRE(set.exit_code == 0);
  CHECK(set.out == "Version=2\n");
  // As the agent fetches it: the manifest is the payload the envelope signs.
  auto types = [](platform_client& client) {
    http_request get;
    get.target = "v1/manifests/Inventory";
    auto r = client.request(get);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto m = json::parse(json::parse(r->body).at("signed").get<std::string>());
    std::vector<std::string> out;
    for (auto& c : m["collectors"])
      out.push_back(c["type"]);
    return std::make_pair(m["version"].get<int64_t>(), out);
  };
  CHECK(types(windows_host) == std::make_pair(int64_t{2}, std::vector<std::string>{"os", "users"}));
  CHECK(types(linux_host)
        == std::make_pair(int64_t{1}, std::vector<std::string>{"os", "network", "packages"}));
  auto bad = test::run({test::program("vigil-platform").string(), "manifest", "set", "--data-dir",
                        platform.data_dir().string(), "--module", "Inventory", "--os", "beos",
                        (dir / "inventory.json").string()});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("unknown OS family") != std::string::npos);
}

TEST_CASE("vigil-platform: an upload told to stop stops between two chunks and resumes later") {
  test::temp_dir dir;
  test::platform_process platform{dir / "data"};
  auto client = client_for(platform);
  provision(client, platform);
  protocol::delta delta;
  delta.module = "Vulnerability";
  delta.seq = 1;
  delta.full = true;
  std::mt19937_64 random{7};
  for (int i = 0; i < 20000; ++i)
    delta.upserts.push_back({"file/" + std::to_string(i), std::to_string(random())
                                                             + std::to_string(random())});
  auto bytes = protocol::encode_delta(delta);
  upload_options options;
  options.chunk_bytes = 16 * 1024;
  REQUIRE(bytes.size() > 10 * options.chunk_bytes); // a 10-chunk upload at least
  // A network window starts once three chunks are through (SPEC §9b).
  uint64_t chunks = 0;
  options.on_chunk = [&](uint64_t) { ++chunks; };
  options.keep_going = [&] { return chunks < 3; };
  auto log_before = platform.request_log().size();
  auto stopped = client.upload_delta("Vulnerability", 1, bytes, options);
  REQUIRE_FALSE(stopped);
  CHECK(code_of(stopped.error()) == ec::cancelled);
  auto sent = platform.request_log().substr(log_before);
  size_t puts = 0;
  for (size_t at = sent.find(" PUT "); at != std::string::npos; at = sent.find(" PUT ", at + 1))
    ++puts;
  CHECK(puts == 3);
  auto held = client.upload_status("Vulnerability", 1);
  REQUIRE(held);
  CHECK(held->received_bytes == 3 * options.chunk_bytes);
  CHECK_FALSE(held->applied);
  // The window ends: the rest goes, from where it stopped, applied once.
  options.keep_going = {};
  options.received = held->received_bytes;
  auto result = client.upload_delta("Vulnerability", 1, bytes, options);
  REQUIRE(result);
  CHECK(result->applied);
  CHECK(result->rows == 20000);
}

TEST_CASE("vigil-platform: an upload survives a platform SIGKILL and applies exactly once") {
  test::temp_dir dir;
  test::platform_process platform{dir / "data"};
  auto client = client_for(platform);
  provision(client, platform);
  protocol::delta delta;
  delta.module = "Vulnerability";
  delta.seq = 1;
  delta.full = true;
  std::mt19937_64 random{42};
  for (int i = 0; i < 30000; ++i) {
    std::string value;
    for (int k = 0; k < 8; ++k)
      value += std::to_string(random());
    delta.upserts.push_back({"file/" + std::to_string(i), value});
  }
  auto bytes = protocol::encode_delta(delta);
  MESSAGE("delta: " << delta.upserts.size() << " rows, " << bytes.size() << " bytes encoded");
  upload_options options;
  options.chunk_bytes = 128 * 1024;
  uint64_t acked_before_kill = 0;
  options.on_chunk = [&](uint64_t received) {
    if (acked_before_kill == 0 && received >= bytes.size() / 2) {
      acked_before_kill = received;
      platform.kill();
    }
  };
  auto interrupted = client.upload_delta("Vulnerability", 1, bytes, options);
  REQUIRE_FALSE(interrupted);
  CHECK(code_of(interrupted.error()) == ec::connection_refused);
  REQUIRE(acked_before_kill > 0);
  platform.start();
  auto held = client.upload_status("Vulnerability", 1);
  REQUIRE(held);
  CHECK(held->received_bytes == acked_before_kill);
  std::vector<uint64_t> resumed;
  options.on_chunk = [&](uint64_t received) { resumed.push_back(received); };
  auto log_before = platform.request_log().size();
  auto result = client.upload_delta("Vulnerability", 1, bytes, options);
  REQUIRE(result);
  CHECK(result->applied);
  CHECK(result->rows == 30000);
  CHECK(result->expected_seq == 2);
  // Only the missing part travelled again: the first chunk sent after the
  // restart starts where the platform's bytes ended.
  auto after = platform.request_log().substr(log_before);
  size_t puts = 0;
  for (size_t at = after.find(" PUT "); at != std::string::npos; at = after.find(" PUT ", at + 1))
    ++puts;
  auto remaining = bytes.size() - acked_before_kill;
  CHECK(puts == (remaining + options.chunk_bytes - 1) / options.chunk_bytes);
  // The same delta again is a duplicate: nothing applied twice.
  auto again = client.upload_delta("Vulnerability", 1, bytes, options);
  REQUIRE(again);
  CHECK_FALSE(again->applied);
  CHECK(again->duplicate);
  CHECK(again->rows == 30000);
  auto listed = assets(platform);
  CHECK(listed[0]["modules"]["Vulnerability"]["last_seq"] == 1);
  CHECK(listed[0]["modules"]["Vulnerability"]["rows"] == 30000);
  // A gap is answered with the seq the platform expects.
  auto gap = client.upload_status("Vulnerability", 5);
  REQUIRE_FALSE(gap);
  CHECK(render(gap.error()).find("seq_gap") != std::string::npos);
  CHECK(render(gap.error()).find("2 next") != std::string::npos);
}

TEST_CASE("vigil-platform: hostile input gets 4xx and the server keeps serving") {
  test::temp_dir dir;
  test::platform_process platform{dir / "data"};
  auto client = client_for(platform);
  provision(client, platform);
  auto raw = *https_client::make([&] {
    client_options o;
    o.trust.ca_bundle = platform.ca_file();
    return o;
  }());
  auto server = *parse_url(platform.web_service_uri());
  std::vector<std::string> targets{"/CloudAgent/v1/provision", "/CloudAgent/v1/checkin",
                                   "/CloudAgent/v1/deltas/Vulnerability/1/complete"};
  std::vector<std::string> bodies{"{\"customer_id\": \"x\",", "not json at all", "[]",
                                  "{\"host_id\": 42}"};
  for (auto& target : targets) {
    for (auto& body : bodies) {
      CAPTURE(target);
      CAPTURE(body.substr(0, 30));
      http_request r;
      r.method = "POST";
      r.target = target;
      r.body = body;
      auto answer = raw.send(server, r);
      REQUIRE(answer);
      CHECK(answer->status >= 400);
      CHECK(answer->status < 500);
    }
  }
  // Over the body cap: refused with 413 before the body is read (the client
  // may see the connection close while it is still sending).
  http_request huge;
  huge.method = "POST";
  huge.target = targets[0];
  huge.body.assign(9 * 1024 * 1024, '{');
  auto refused = raw.send(server, huge);
  if (refused)
    CHECK(refused->status == 413);
  // A request that is not HTTP at all, over TLS.
  auto garbage = test::run({"/usr/bin/openssl", "s_client", "-quiet", "-connect",
                            "127.0.0.1:" + std::to_string(platform.port()), "-CAfile",
                            platform.ca_file().string()},
                           {}, std::string{"\x01\x02 NOT HTTP\r\n\r\n"});
  CHECK(garbage.out.find("400") != std::string::npos);
  auto status = client.status();
  REQUIRE(status);
  CHECK(status->status == "ok");
}

TEST_CASE("vigil-platform: refuses TLS 1.1 clients") {
  test::temp_dir dir;
  test::platform_process platform{dir / "data"};
  auto old = test::run({"/usr/bin/openssl", "s_client", "-connect",
                        "127.0.0.1:" + std::to_string(platform.port()), "-tls1_1", "-cipher",
                        "DEFAULT@SECLEVEL=0"});
  CHECK(old.exit_code != 0);
  CHECK(old.err.find("alert protocol version") != std::string::npos);
}

TEST_CASE("vigil-platform: a check-in cycle and a 10-chunk upload each take one TLS handshake; a "
          "kept connection the platform closed is replaced for the same request") {
  test::temp_dir dir;
  test::platform_process platform{dir / "data"};
  // The same requests with a connection per request (the old client) and
  // with connections kept alive; the platform's log numbers each connection.
  auto cycle = [&](platform_client& client) {
    protocol::checkin_request req;
    req.host_id = host_id;
    req.agent_version = "0.1.0";
    auto log_before = platform.request_log().size();
    REQUIRE(client.checkin(req));
    auto profile = client.profile("");
    REQUIRE(profile);
    for (auto module : {"Vulnerability", "PolicyCompliance"}) {
      http_request get; // as the agent fetches them: signed, checked by the caller
      get.target = std::string{"v1/manifests/"} + module;
      auto manifest = client.request(get);
      REQUIRE(manifest);
      CHECK(manifest->status == 200);
    }
    return connections_of(platform.request_log().substr(log_before));
  };
  protocol::delta delta;
  delta.module = "Vulnerability";
  delta.full = true;
  std::mt19937_64 random{11};
  for (int i = 0; i < 12000; ++i)
    delta.upserts.push_back({"file/" + std::to_string(i), std::to_string(random())});
  upload_options chunked;
  chunked.chunk_bytes = 16 * 1024;
  auto upload = [&](platform_client& client, uint64_t seq) {
    delta.seq = seq;
    auto bytes = protocol::encode_delta(delta);
    REQUIRE(bytes.size() > 10 * chunked.chunk_bytes);
    auto log_before = platform.request_log().size();
    auto result = client.upload_delta("Vulnerability", seq, bytes, chunked);
    REQUIRE(result);
    CHECK(result->applied);
    return connections_of(platform.request_log().substr(log_before));
  };

  auto one_per_request = client_for(platform, std::chrono::milliseconds{0});
  auto token = provision(one_per_request, platform);
  auto old_cycle = cycle(one_per_request);
  auto old_upload = upload(one_per_request, 1);
  CHECK(distinct(old_cycle) == old_cycle.size());
  CHECK(distinct(old_upload) == old_upload.size());

  auto kept = client_for(platform);
  kept.set_credentials(host_id, token);
  auto new_cycle = cycle(kept);
  auto new_upload = upload(kept, 2);
  CHECK(new_cycle.size() == 4);
  CHECK(distinct(new_cycle) == 1);
  CHECK(new_upload.size() == old_upload.size());
  CHECK(distinct(new_upload) == 1);
  // The cycle's connection carried the upload too: one handshake for both.
  CHECK(new_upload.front() == new_cycle.front());
  MESSAGE("TLS handshakes per check-in cycle (" << new_cycle.size() << " requests): "
          << distinct(old_cycle) << " -> " << distinct(new_cycle) << "; per upload of "
          << new_upload.size() << " requests (" << new_upload.size() - 2
          << " chunks, status and completion): " << distinct(old_upload) << " -> "
          << distinct(new_upload));

  // The platform restarts: the kept connection is dead; the next request
  // goes on a new one, without an error for the caller.
  CHECK(platform.terminate() == 0);
  platform.start();
  auto after = cycle(kept);
  CHECK(after.size() == 4);
  CHECK(distinct(after) == 1);
}
