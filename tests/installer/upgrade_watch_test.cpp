// The upgrade watcher's decision (SPEC §12) on its own, on a clock the test
// drives: a new version that checks in is kept, one that never does is rolled
// back at the deadline, and time the platform answered busy (429, 5xx) does
// not count against it.

#include <doctest/doctest.h>

#include "host/agent_status.hpp"
#include "installer/upgrade_watch.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

/// A service manager that only counts what it is asked to do.
struct counting_service : service_manager {
  int starts = 0;
  int stops = 0;
  std::string kind() const override { return "test"; }
  caf::expected<void> install() override { return {}; }
  caf::expected<void> start() override {
    ++starts;
    return {};
  }
  caf::expected<void> stop() override {
    ++stops;
    return {};
  }
  bool running() const override { return starts > stops; }
  caf::expected<void> remove() override { return {}; }
  bool registered() const override { return true; }
  std::vector<std::filesystem::path> registration_files() const override { return {}; }
};

/// A root where 0.2.0 was just installed over 0.1.0 (kept in `.previous`),
/// and a clock that moves one second each time it is read; `at_second` runs
/// at each reading (writes what the agent would have written by then).
struct watch_fixture {
  test::temp_dir dir;
  paths p{dir.path()};
  counting_service service;
  installer_log log{p, "vigil-setup"};
  int64_t clock = 1'000'000;
  std::function<void(int64_t)> at_second = [](int64_t) {};

  watch_fixture() {
    fs::create_directories(p.program_files());
    fs::create_directories(p.program_files().string() + ".previous");
    test::write_file(p.program_files() / "VERSION", "0.2.0\n");
    test::write_file(fs::path{p.program_files().string() + ".previous"} / "VERSION", "0.1.0\n");
  }

  void agent_status_is(const std::function<void(agent_status&)>& change) {
    REQUIRE(update_agent_status(p, change));
  }

  upgrade_marker watch(std::chrono::seconds deadline,
                       std::chrono::seconds busy_allowance = std::chrono::hours{24}) {
    upgrade_marker m;
    m.from = "0.1.0";
    m.target = "0.2.0";
    m.started_at = clock;
    upgrade_watch_options o;
    o.deadline = deadline;
    o.busy_allowance = busy_allowance;
    o.poll = std::chrono::milliseconds{0};
    o.now = [this] {
      ++clock;
      at_second(clock);
      return clock;
    };
    auto result = watch_upgrade(p, service, log, m, o);
    REQUIRE(result);
    return *result;
  }

  std::string running_version() {
    return test::read_file(p.program_files() / "VERSION");
  }
};

} // namespace

TEST_CASE("upgrade watch: a version that starts and checks in is kept") {
  watch_fixture f;
  auto started = f.clock + 1;
  f.at_second = [&](int64_t t) {
    if (t == started + 5)
      f.agent_status_is([&](agent_status& s) {
        s.version = "0.2.0";
        s.started_at = started;
        s.last_checkin = t;
        s.checkins_since_start = 1;
      });
  };
  auto m = f.watch(std::chrono::seconds{60});
  CHECK(m.state == "succeeded");
  CHECK(f.running_version() == "0.2.0\n");
  CHECK_FALSE(fs::exists(f.p.program_files().string() + ".previous"));
  CHECK(f.service.stops == 0);
}

TEST_CASE("upgrade watch: a version that never checks in is rolled back at the deadline, even "
          "when the previous version's last check-in fell in the same second") {
  watch_fixture f;
  auto started = f.clock + 1;
  f.agent_status_is([&](agent_status& s) {
    s.version = "0.2.0";
    s.started_at = started;
    s.last_checkin = started; // the previous run's, carried over in the status file
    s.checkins_since_start = 0;
  });
  auto m = f.watch(std::chrono::seconds{30});
  CHECK(m.state == "rolled_back");
  CHECK(m.reason.starts_with("never_checked_in"));
  CHECK(m.reason.find("busy") == std::string::npos);
  CHECK(f.running_version() == "0.1.0\n");
  CHECK(f.service.stops == 1);
  CHECK(f.service.starts == 1);
  CHECK(f.clock <= started + 31 + 2);
}

TEST_CASE("upgrade watch: time the platform answers busy does not count against the new "
          "version") {
  watch_fixture f;
  auto started = f.clock + 1;
  // The platform answers 503 from the start for 100 s (three times the
  // deadline), then takes the check-in.
  f.at_second = [&](int64_t t) {
    f.agent_status_is([&](agent_status& s) {
      s.version = "0.2.0";
      s.started_at = started;
      if (t < started + 100) {
        s.last_checkin_error = "platform 503 unknown: HTTP 503";
        s.last_checkin_error_code = "busy";
        s.last_checkin_error_at = t;
      } else {
        s.last_checkin = t;
        s.checkins_since_start = 1;
        s.last_checkin_error_code.clear();
      }
    });
  };
  auto m = f.watch(std::chrono::seconds{30});
  CHECK(m.state == "succeeded");
  CHECK(f.running_version() == "0.2.0\n");
  CHECK(f.service.stops == 0);
}

TEST_CASE("upgrade watch: a version whose check-ins fail for its own reasons is not excused") {
  watch_fixture f;
  auto started = f.clock + 1;
  f.at_second = [&](int64_t t) {
    f.agent_status_is([&](agent_status& s) {
      s.version = "0.2.0";
      s.started_at = started;
      s.last_checkin_error = "platform 400 invalid_request: bad body";
      s.last_checkin_error_code = "protocol_error";
      s.last_checkin_error_at = t;
    });
  };
  auto m = f.watch(std::chrono::seconds{30});
  CHECK(m.state == "rolled_back");
  CHECK(m.reason.starts_with("never_checked_in"));
  CHECK(f.clock <= started + 31 + 2);
}

TEST_CASE("upgrade watch: the busy allowance bounds how long the platform's trouble is excused") {
  watch_fixture f;
  auto started = f.clock + 1;
  f.at_second = [&](int64_t t) {
    f.agent_status_is([&](agent_status& s) {
      s.version = "0.2.0";
      s.started_at = started;
      s.last_checkin_error_code = "busy";
      s.last_checkin_error_at = t;
    });
  };
  auto result = f.watch(std::chrono::seconds{30}, std::chrono::seconds{40});
  CHECK(result.state == "rolled_back");
  CHECK(result.reason.find("s the platform answered busy") != std::string::npos);
  // About the deadline plus the allowance, never forever.
  CHECK(f.clock >= started + 30 + 35);
  CHECK(f.clock <= started + 30 + 40 + 40);
}
