// host/agent_status: the file the agent writes for vigil-healthcheck.

#include "host/agent_status.hpp"

#include <atomic>
#include <doctest/doctest.h>
#include <thread>

#include "common/error.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

TEST_CASE("agent_status: round-trips through its JSON text") {
  agent_status s;
  s.pid = 12;
  s.started_at = 1000;
  s.version = "0.1.0";
  s.provisioned = true;
  s.last_checkin = 1100;
  s.last_checkin_error = "connection_refused: x";
  s.last_checkin_error_code = "connection_refused";
  s.in_blackout = true;
  s.blackout_until = 2000;
  auto& m = s.module("Vulnerability");
  m.activated = true;
  m.state = module_run_state::pending_upload;
  m.pending_delta_seq = 9;
  m.last_scan_end = 1050;
  auto parsed = parse_agent_status(to_json_text(s), "x.json");
  REQUIRE(parsed);
  CHECK(*parsed == s);
  CHECK(&s.module("Vulnerability") == &s.modules[0]); // found, not added again
  CHECK(s.find_module("SCA") == nullptr);
}

TEST_CASE("agent_status: missing is not_found, malformed is parse_error naming the file") {
  test::temp_dir dir;
  paths p{dir.path()};
  auto missing = load_agent_status(p);
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
  test::write_file(agent_status_file(p), "{\"pid\": ");
  auto garbled = load_agent_status(p);
  REQUIRE_FALSE(garbled);
  CHECK(code_of(garbled.error()) == ec::parse_error);
  CHECK(render(garbled.error()).find("agent-status.json") != std::string::npos);
  test::write_file(agent_status_file(p), R"({"modules": [{"name": "UDC", "state": "dancing"}]})");
  auto bad_state = load_agent_status(p);
  REQUIRE_FALSE(bad_state);
  CHECK(render(bad_state.error()).find("dancing") != std::string::npos);
  test::write_file(agent_status_file(p), R"({"pid": "twelve"})");
  CHECK_FALSE(load_agent_status(p));
  // Unknown fields (a newer agent) are ignored.
  test::write_file(agent_status_file(p), R"({"pid": 5, "future_field": [1, 2]})");
  auto newer = load_agent_status(p);
  REQUIRE(newer);
  CHECK(newer->pid == 5);
}

TEST_CASE("agent_status: concurrent updates lose nothing and readers never see a torn file") {
  test::temp_dir dir;
  paths p{dir.path()};
  constexpr int threads = 4, updates = 30;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread reader{[&] {
    while (!done) {
      auto s = load_agent_status(p);
      if (!s && code_of(s.error()) != ec::not_found)
        ++torn;
    }
  }};
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < updates; ++i) {
        auto ok = update_agent_status(p, [&](agent_status& s) {
          s.module("M" + std::to_string(t)).pending_delta_seq += 1;
          s.pid += 1;
        });
        CHECK(ok);
      }
    });
  for (auto& w : writers)
    w.join();
  done = true;
  reader.join();
  auto s = load_agent_status(p);
  REQUIRE(s);
  CHECK(s->pid == threads * updates);
  CHECK(s->modules.size() == threads);
  for (auto& m : s->modules)
    CHECK(m.pending_delta_seq == updates);
  CHECK(torn == 0);
}

TEST_CASE("agent_status: an update replaces a garbled file; recording goes to the board, in memory") {
  test::temp_dir dir;
  paths p{dir.path()};
  test::write_file(agent_status_file(p), "garbage");
  auto s = update_agent_status(p, [](agent_status& s) { s.provisioned = true; });
  REQUIRE(s);
  CHECK(load_agent_status(p)->provisioned);
  test::temp_dir other;
  paths q{other.path()};
  record_agent_status([](agent_status& s) { s.pid = 1; });
  CHECK_FALSE(std::filesystem::exists(agent_status_file(q)));
  auto board = std::make_shared<status_board>();
  int notified = 0;
  set_agent_status_sink(board, [&] { ++notified; });
  record_agent_status([](agent_status& s) { s.pid = 7; });
  record_agent_status([](agent_status& s) { s.pid = 7; }); // no change: nobody told
  set_agent_status_sink(nullptr, {});
  record_agent_status([](agent_status& s) { s.pid = 9; });
  CHECK(notified == 1);
  CHECK(board->snapshot().first.pid == 7);
  CHECK(board->snapshot().second == 1);
  CHECK_FALSE(std::filesystem::exists(agent_status_file(q))); // the status actor writes files
}
