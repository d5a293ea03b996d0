// vigil-fleet (issue 18, item 1): its pure parts, then the real binary
// against the real platform, and a verification that must fail.

#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "platform/platform_store.hpp"
#include "protocol/delta_codec.hpp"
#include "protocol/upload.hpp"
#include "scan/delta_diff.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/fleet/fleet_options.hpp"
#include "tools/fleet/fleet_rows.hpp"
#include "tools/fleet/fleet_schedule.hpp"
#include "tools/fleet/fleet_state.hpp"
#include "tools/fleet/fleet_stats.hpp"
#include "tools/fleet/fleet_verify.hpp"
#include "tools/fleet/turn_queue.hpp"

using namespace vigil;
using namespace vigil::fleet;
using namespace std::chrono_literals;

namespace {

const std::string customer = "{11111111-2222-4333-8444-555555555555}";
const std::string activation = "{AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE}";

std::vector<std::string> run_args(std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--url", "https://127.0.0.1:8443/CloudAgent/", "--ca",
                                "/srv/p/ca.pem", "--customer", customer, "--activation",
                                activation};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

/// The last non-empty line of `text`.
std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of('\n');
  if (end == std::string::npos)
    return {};
  auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end - (start == std::string::npos ? 0 : start + 1) + 1);
}

/// The report's first two columns for `operation` ("provision 200 ...").
uint64_t ops_of(const std::string& report, const std::string& operation) {
  std::istringstream lines{report};
  std::string line;
  while (std::getline(lines, line))
    if (line.starts_with(operation + " ")) {
      std::istringstream words{line.substr(operation.size())};
      uint64_t n = 0;
      if (words >> n) // "upload" is not "upload status"
        return n;
    }
  return 0;
}

} // namespace

TEST_CASE("fleet options: a run's command line, its defaults and what it refuses") {
  auto o = parse_fleet_args(run_args({"--agents", "200", "--seconds=20", "--change-share", "0.25"}));
  REQUIRE(o);
  CHECK(o->agents == 200);
  CHECK(o->seconds == 20);
  CHECK(o->change_share == 0.25);
  CHECK(o->workers == 16);
  CHECK(o->customer_id == customer);
  // The platform's data directory defaults to the CA's: `serve` writes DIR/ca.pem.
  REQUIRE(o->data_dir);
  CHECK(*o->data_dir == "/srv/p");
  CHECK(*o->trust_key == "/srv/p/signing-key.pub");

  auto error_of = [](const std::vector<std::string>& args) {
    auto r = parse_fleet_args(args);
    REQUIRE_FALSE(r);
    CHECK(code_of(r.error()) == ec::invalid_argument);
    return context_of(r.error());
  };
  CHECK(error_of(run_args({"--agents", "0"})).find("--agents") != std::string::npos);
  CHECK(error_of(run_args({"--agents", "ten"})).find("not a whole number") != std::string::npos);
  CHECK(error_of(run_args({"--change-share", "1.5"})).find("--change-share") != std::string::npos);
  CHECK(error_of(run_args({"--frobnicate", "1"})).find("unknown option --frobnicate")
        != std::string::npos);
  CHECK(error_of(run_args({"--seconds"})).find("needs a value") != std::string::npos);
  CHECK(error_of({"--url", "https://h:1/", "--ca", "c", "--customer", "{123}", "--activation",
                  activation})
          .find("GUID")
        != std::string::npos);
  CHECK(error_of({"--ca", "c", "--customer", customer, "--activation", activation})
          .find("--url is required")
        != std::string::npos);
  CHECK(error_of(run_args({"--rows", "10", "--row-changes", "11"})).find("--row-changes")
        != std::string::npos);
  CHECK(error_of({"--verify-only", "--data-dir", "/srv/p"}).find("--state") != std::string::npos);

  auto verify = parse_fleet_args({"--verify-only", "--state", "s.jsonl", "--data-dir", "/srv/p"});
  REQUIRE(verify);
  CHECK(verify->verify_only);
  auto help = parse_fleet_args({"--help"});
  REQUIRE(help);
  CHECK(help->help);
}

TEST_CASE("fleet schedule: jitter stays within its bounds, first contacts spread over the ramp") {
  std::chrono::microseconds interval{10'000'000};
  auto low = interval, high = interval;
  for (uint64_t i = 0; i < 10'000; ++i) {
    auto d = jittered(interval, 0.2, mix(42, i));
    low = std::min(low, d);
    high = std::max(high, d);
  }
  CHECK(low >= 8'000'000us);
  CHECK(high <= 12'000'000us);
  CHECK(low < 8'100'000us); // the whole range is used
  CHECK(high > 11'900'000us);
  CHECK(jittered(interval, 0, mix(1)) == interval);

  std::chrono::microseconds ramp{60'000'000};
  std::vector<int> per_second(60);
  for (std::size_t i = 0; i < 6000; ++i) {
    auto at = first_offset(i, 6000, ramp, mix(7, i));
    REQUIRE(at >= 0us);
    REQUIRE(at <= ramp);
    per_second[std::min<std::size_t>(59, static_cast<std::size_t>(at.count() / 1'000'000))]++;
  }
  for (int n : per_second)
    CHECK(n == doctest::Approx(100).epsilon(0.05)); // even: no stampede
  CHECK(first_offset(0, 6000, ramp, mix(1)) == 0us);
  // Replayable: the same seed gives the same agents.
  CHECK(agent_seed(5, 3) == agent_seed(5, 3));
  CHECK(agent_seed(5, 3) != agent_seed(6, 3));
}

TEST_CASE("fleet schedule: about the change share of the hosts change in each cycle") {
  for (double share : {0.0, 0.1, 0.5, 1.0}) {
    for (uint64_t cycle = 1; cycle <= 3; ++cycle) {
      int changed = 0;
      for (std::size_t i = 0; i < 10'000; ++i)
        changed += changes_in_cycle(agent_seed(1, i), cycle, share) ? 1 : 0;
      // Within 4 standard deviations of the binomial draw.
      double expected = 10'000 * share;
      CHECK(std::abs(changed - expected) <= 4 * std::sqrt(expected * (1 - share)) + 1);
    }
  }
  // A different draw each cycle: not always the same hosts.
  int both = 0;
  for (std::size_t i = 0; i < 10'000; ++i)
    both += changes_in_cycle(agent_seed(1, i), 1, 0.1) && changes_in_cycle(agent_seed(1, i), 2, 0.1);
  CHECK(both < 200); // ~100 expected for independent draws, 1000 if always the same hosts
}

TEST_CASE("fleet stats: nearest-rank percentiles, merged workers and errors by kind") {
  std::vector<uint32_t> sorted;
  for (uint32_t i = 1; i <= 100; ++i)
    sorted.push_back(i);
  CHECK(percentile(sorted, 50) == 50);
  CHECK(percentile(sorted, 99) == 99);
  CHECK(percentile(sorted, 100) == 100);
  CHECK(percentile(sorted, 0) == 1);
  CHECK(percentile({}, 50) == 0);
  CHECK(percentile({7}, 99) == 7);

  auto t0 = std::chrono::steady_clock::time_point{};
  fleet_stats a, b;
  for (int i = 1; i <= 99; ++i)
    a.record(op::checkin, t0 + std::chrono::seconds{i}, t0 + std::chrono::seconds{i} + 1ms);
  b.record(op::checkin, t0, t0 + 500ms);
  b.record(op::checkin, t0 + 100s, t0 + 100s + 1ms,
           make_error(ec::busy, "platform 503 internal: overloaded"));
  b.record(op::provision, t0, t0 + 2ms, make_error(ec::connection_refused, "127.0.0.1:1"));
  b.delta_applied(true, 200, 9000);
  a.merge(std::move(b));
  auto& c = a.of(op::checkin);
  CHECK(c.micros.size() == 100);
  CHECK(c.error_count() == 1);
  CHECK(c.errors.at("busy (platform 503 internal)") == 1);
  CHECK(a.of(op::provision).errors.at("connection_refused") == 1);
  CHECK(a.delta_rows() == 200);
  auto report = a.report(100s);
  CAPTURE(report);
  // 100 check-ins from t0 to t0+100s: 1 per second; p50 1 ms, max 500 ms.
  CHECK(report.find("checkin              100       1.0      1.00      1.00    500.00        1")
        != std::string::npos);
  CHECK(report.find("error: checkin: busy (platform 503 internal) x1") != std::string::npos);
  CHECK(report.find("2.0 rows/s") != std::string::npos);
}

TEST_CASE("fleet rows: the agent's diff of two generations is a small delta that rebuilds the next") {
  row_model model{200, 5};
  auto host = agent_seed(3, 9);
  auto g0 = rows_at(model, host, "Inventory", 0);
  REQUIRE(g0.size() == 200);
  auto sorted = g0;
  scan::finalize(sorted);
  CHECK(sorted == g0); // finalized as produced
  CHECK(rows_at(model, host, "Inventory", 0) == g0); // deterministic
  CHECK(rows_at(model, host, "Vulnerability", 0) != g0);
  CHECK(rows_at(model, agent_seed(3, 10), "Inventory", 0) != g0);
  auto json = nlohmann::json::parse(g0[0].value);
  CHECK(scan::canonical_json(json) == g0[0].value);

  std::size_t changed_total = 0;
  for (uint64_t g = 0; g < 40; ++g) {
    auto d = delta_between(model, host, "Inventory", g + 2, false, g, g + 1);
    CHECK_FALSE(d.full);
    // One row removed, one added, and about row_changes values changed.
    CHECK(d.removals.size() == 1);
    CHECK(d.upserts.size() >= 1);
    changed_total += d.upserts.size() - 1;
    auto applied = scan::apply_changes(rows_at(model, host, "Inventory", g), d.upserts, d.removals);
    CHECK(applied == rows_at(model, host, "Inventory", g + 1));
    // On the wire with the real codec.
    auto bytes = protocol::encode_delta(d);
    auto back = protocol::decode_delta(bytes, protocol::max_delta_decompressed_bytes);
    REQUIRE(back);
    CHECK(*back == d);
  }
  CHECK(changed_total == doctest::Approx(40 * 5).epsilon(0.1));

  auto full = delta_between(model, host, "Inventory", 1, true, 0, 7);
  CHECK(full.full);
  CHECK(full.removals.empty());
  CHECK(full.upserts.size() == 200);
  auto full_bytes = protocol::encode_delta(full);
  auto small_bytes = protocol::encode_delta(delta_between(model, host, "Inventory", 2, false, 7, 8));
  CHECK(small_bytes.size() * 10 < full_bytes.size());
}

TEST_CASE("fleet verify: missing, changed and extra rows are counted as lost or duplicated") {
  scan::snapshot expected{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  CHECK(compare_rows(expected, {{"a", "1"}, {"b", "2"}, {"c", "3"}}) == verify_counts{0, 0});
  CHECK(compare_rows(expected, {{"a", "1"}, {"c", "3"}}) == verify_counts{1, 0});
  CHECK(compare_rows(expected, {{"a", "1"}, {"b", "old"}, {"c", "3"}}) == verify_counts{1, 0});
  CHECK(compare_rows(expected, {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}})
        == verify_counts{0, 1});
  CHECK(compare_rows({}, {{"x", "1"}}) == verify_counts{0, 1});
  CHECK(compare_rows(expected, {}) == verify_counts{3, 0});
  // An unconfirmed delta may or may not have been applied: either is right.
  scan::snapshot next{{"a", "1"}, {"b", "9"}, {"c", "3"}};
  CHECK(compare_either(expected, next, {{"a", "1"}, {"b", "9"}, {"c", "3"}}) == verify_counts{});
  CHECK(compare_either(expected, next, {{"a", "1"}, {"b", "2"}, {"c", "3"}}) == verify_counts{});
  CHECK(compare_either(expected, next, {{"a", "1"}}) == verify_counts{2, 0});
}

TEST_CASE("fleet state: saved agents read back and are verified against a reader") {
  saved_fleet fleet;
  fleet.model = {50, 3};
  for (std::size_t i = 0; i < 3; ++i) {
    auto a = make_agent(agent_seed(11, i));
    module_track t{"Inventory"};
    t.acked_seq = 4;
    t.acked_gen = 3;
    t.gen = 4;
    t.pending_seq = i == 2 ? 5 : 0;
    a.modules.push_back(t);
    fleet.agents.push_back(std::move(a));
  }
  fleet.agents[0].modules[0].gen = 3;
  auto back = parse_state_text(state_text(fleet));
  REQUIRE(back);
  REQUIRE(back->agents.size() == 3);
  CHECK(back->model.rows == 50);
  CHECK(back->agents[1].host_id == fleet.agents[1].host_id);
  CHECK(back->agents[2].modules[0].pending_seq == 5);
  CHECK(back->agents[1].modules[0].acked_gen == 3);

  auto text = state_text(fleet);
  auto truncated = parse_state_text(text.substr(0, text.rfind("{\"host\"")));
  REQUIRE_FALSE(truncated);
  CHECK(context_of(truncated.error()).find("truncated") != std::string::npos);

  // A platform holding exactly what each agent had acknowledged (the third
  // one's pending delta applied): nothing lost.
  std::map<std::string, held_rows> platform;
  for (auto& a : back->agents) {
    auto& t = a.modules[0];
    for (auto& row : rows_at(back->model, a.seed, t.name, t.pending_seq ? t.gen : t.acked_gen))
      platform[a.host_id].emplace(row.key, row.value);
  }
  auto reader = [&](const std::string& host, const std::string&) -> caf::expected<held_rows> {
    return platform[host];
  };
  for (auto& a : back->agents) {
    auto counts = verify_agent(a, back->model, reader);
    REQUIRE(counts);
    CHECK(*counts == verify_counts{});
  }
  platform[back->agents[0].host_id].erase(platform[back->agents[0].host_id].begin());
  platform[back->agents[1].host_id].emplace("packages/zzz", "{}");
  CHECK(*verify_agent(back->agents[0], back->model, reader) == verify_counts{1, 0});
  CHECK(*verify_agent(back->agents[1], back->model, reader) == verify_counts{0, 1});
  auto failing = [](const std::string&, const std::string&) -> caf::expected<held_rows> {
    return make_error(ec::connection_refused, "admin.sock");
  };
  CHECK_FALSE(verify_agent(back->agents[0], back->model, failing));
}

TEST_CASE("fleet turn queue: turns come out in due order and close wakes a waiting worker") {
  turn_queue q;
  auto now = turn_queue::clock::now();
  q.put(3, now - 1s);
  q.put(1, now - 3s);
  q.put(2, now - 2s);
  q.put(9, now + 1h);
  CHECK(q.take(now + 2h)->first == 1);
  CHECK(q.take(now + 2h)->first == 2);
  auto third = q.take(now + 2h);
  CHECK(third->first == 3);
  CHECK(third->second == now - 1s);
  // The next turn is past the deadline: none.
  CHECK_FALSE(q.take(now + 30min));
  CHECK(q.size() == 1);
  // Once the deadline has passed, not even an overdue turn starts.
  q.put(4, now - 1h);
  CHECK_FALSE(q.take(now - 1min));
  CHECK(q.size() == 2);
  CHECK(q.take(now + 2h)->first == 4);
  // A worker waiting for agent 9's turn (an hour away) is woken by close;
  // were it not, the case would hang instead of passing.
  std::optional<std::pair<std::size_t, turn_queue::clock::time_point>> got{{0, now}};
  std::thread worker{[&] { got = q.take(now + 2h); }};
  q.close();
  worker.join();
  CHECK_FALSE(got);
}

TEST_CASE("vigil-fleet: 200 agents for 20 s against the real platform, nothing lost or duplicated") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto [customer_id, activation_id] = platform.create_customer("Vulnerability");
  auto state = dir / "fleet.jsonl";
  auto r = test::run({test::program("vigil-fleet").string(), "--url", platform.web_service_uri(),
                      "--ca", platform.ca_file().string(), "--customer", customer_id,
                      "--activation", activation_id, "--agents", "200", "--seconds", "20",
                      "--interval", "3", "--workers", "8", "--change-share", "0.3",
                      "--chunk-bytes", "2048", "--state", state.string()});
  CAPTURE(r.out);
  CAPTURE(r.err);
  CHECK(r.exit_code == 0);
  CHECK(last_line(r.out) == "verified: 200 hosts, lost=0 duplicated=0");
  // Every agent provisioned, checked in every ~3 s, and sent its full
  // snapshots (2 modules) and then deltas, all through the admin socket's
  // platform: the rows were really there to compare.
  CHECK(ops_of(r.out, "provision") == 200);
  CHECK(ops_of(r.out, "checkin") >= 200 * 3);
  CHECK(ops_of(r.out, "manifest") >= 400);
  CHECK(ops_of(r.out, "upload") >= 400 + 100);
  CHECK(r.out.find("agents: 200 of 200 provisioned, 200 with every module's rows acknowledged")
        != std::string::npos);
  CHECK(r.out.find("read from the running platform's admin socket") != std::string::npos);
  // Full snapshots (~5 KB) went up in 2 KB chunks, each at the offset the
  // platform held.
  auto log = platform.request_log();
  CHECK(log.find("PUT /CloudAgent/v1/deltas/Vulnerability/1 ") != std::string::npos);
  CHECK(log.find("stored=2048-4096") != std::string::npos);
}

TEST_CASE("vigil-fleet: verification fails when the platform lost a host's rows") {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  auto [customer_id, activation_id] = platform.create_customer("");
  auto state = dir / "fleet.jsonl";
  auto fleet = test::program("vigil-fleet").string();
  auto r = test::run({fleet, "--url", platform.web_service_uri(), "--ca",
                      platform.ca_file().string(), "--customer", customer_id, "--activation",
                      activation_id, "--agents", "30", "--seconds", "4", "--interval", "1",
                      "--rows", "40", "--workers", "4", "--state", state.string()});
  CAPTURE(r.out);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(last_line(r.out) == "verified: 30 hosts, lost=0 duplicated=0");

  // The platform stops; one host's Inventory rows are removed from its store
  // and a row is planted in another's: what a lost write and a stray apply
  // would leave.
  CHECK(platform.terminate() == 0);
  auto saved = parse_state_text(test::read_file(state));
  REQUIRE(saved);
  auto victim = saved->agents[7].host_id;
  auto other = saved->agents[8].host_id;
  std::size_t removed = 0;
  {
    auto store = platform::open_platform_store(platform.data_dir().string());
    REQUIRE(store);
    auto prefix = platform::join_key({victim, "Inventory", ""});
    std::vector<std::string> keys;
    REQUIRE((*store)->scan(platform::column::rows, prefix, [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    }));
    for (auto& k : keys)
      REQUIRE((*store)->erase(platform::column::rows, k, {true}));
    removed = keys.size();
    REQUIRE((*store)->put(platform::column::rows,
                          platform::join_key({other, "Inventory", "packages/planted"}), "{}", {true}));
  }
  REQUIRE(removed == 40);

  // Verified offline, from the stopped platform's store...
  auto offline = test::run({fleet, "--verify-only", "--state", state.string(), "--data-dir",
                            platform.data_dir().string()});
  CAPTURE(offline.out);
  CAPTURE(offline.err);
  CHECK(offline.exit_code == 1);
  CHECK(last_line(offline.out) == "verified: 30 hosts, lost=40 duplicated=1");
  CHECK(offline.out.find("the stopped platform's store") != std::string::npos);
  CHECK(offline.err.find(victim) != std::string::npos);
  // ... and online, through the restarted server.
  platform.start();
  auto online = test::run({fleet, "--verify-only", "--state", state.string(), "--data-dir",
                           platform.data_dir().string()});
  CAPTURE(online.out);
  CHECK(online.exit_code == 1);
  CHECK(last_line(online.out) == "verified: 30 hosts, lost=40 duplicated=1");
  CHECK(online.out.find("the running platform's admin socket") != std::string::npos);
}

TEST_CASE("vigil-fleet: two platform instances on one PostgreSQL behind haproxy, one "
          "SIGKILLed mid-run, nothing lost or duplicated") {
  test::temp_dir dir;
  test::postgres_server database;
  std::vector<std::string> shared{"--store", database.url()};
  test::platform_process first{dir / "first", shared};
  // The second instance: its own data directory with the same CA, server
  // certificate and signing key, as an operator copies them to each machine.
  auto second_dir = dir / "second";
  std::filesystem::create_directories(second_dir);
  for (auto& entry : std::filesystem::directory_iterator{first.data_dir()}) {
    auto name = entry.path().filename().string();
    if (entry.is_regular_file() && !name.ends_with(".log") && name != "admin.sock")
      std::filesystem::copy_file(entry.path(), second_dir / name);
  }
  test::platform_process second{second_dir, shared};
  test::haproxy balancer{dir / "haproxy", {first.port(), second.port()}};
  auto [customer_id, activation_id] = first.create_customer("Vulnerability");
  auto url = "https://127.0.0.1:" + std::to_string(balancer.port()) + "/CloudAgent/";
  auto out = dir / "fleet.out";
  test::child_process fleet{{test::program("vigil-fleet").string(), "--url", url, "--ca",
                             first.ca_file().string(), "--customer", customer_id,
                             "--activation", activation_id, "--agents", "200", "--seconds",
                             "24", "--interval", "3", "--workers", "8", "--change-share", "0.3",
                             "--chunk-bytes", "2048", "--state", (dir / "fleet.jsonl").string()},
                            out};
  auto uploads_at = [](const test::platform_process& p) {
    auto log = p.request_log();
    size_t n = 0;
    for (auto at = log.find("PUT /CloudAgent/v1/deltas/"); at != std::string::npos;
         at = log.find("PUT /CloudAgent/v1/deltas/", at + 1))
      ++n;
    return n;
  };
  // Both instances take uploads; the first dies (SIGKILL) in the middle of
  // them, some agents mid-upload.
  REQUIRE(test::wait_until([&] { return uploads_at(first) >= 100 && uploads_at(second) >= 100; },
                           std::chrono::seconds{30}));
  REQUIRE_FALSE(fleet.exited());
  first.kill();
  // haproxy sends everyone to the survivor; the first comes back after the
  // survivor took 200 more uploads alone.
  auto before = uploads_at(second);
  REQUIRE(test::wait_until([&] { return uploads_at(second) >= before + 200; },
                           std::chrono::seconds{30}));
  REQUIRE_FALSE(fleet.exited());
  first.start();
  REQUIRE(test::wait_until([&] { return fleet.exited(); }, std::chrono::seconds{120}));
  auto text = test::read_file(out);
  CAPTURE(text);
  CAPTURE(balancer.log());
  CHECK(fleet.wait() == 0);
  CHECK(last_line(text) == "verified: 200 hosts, lost=0 duplicated=0");
  CHECK(text.find("agents: 200 of 200 provisioned, 200 with every module's rows acknowledged")
        != std::string::npos);
  // Both instances applied deltas: the rows came from both.
  CHECK(second.request_log().find("PUT /CloudAgent/v1/deltas/") != std::string::npos);
  // haproxy saw the first instance go down, and come back.
  CHECK(balancer.log().find("instance0 is DOWN") != std::string::npos);
  // One row per host in PostgreSQL, no HostID twice.
  CHECK(database.psql("SELECT count(*) FROM vigil_kv WHERE col = 'hosts'") == "200\n");
}
