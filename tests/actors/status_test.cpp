// The status actor: the agent's status recorded in memory and written to disk
// off the scheduler threads (issue 16, item 1).

#include "actors/status.hpp"

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

using beat_atom = caf::atom_constant<caf::atom("beat")>;

/// Holds the status file's lock from another process for `hold`, as a reader
/// or a stuck writer of another agent version would; returns its pid once the
/// lock is taken.
pid_t hold_status_lock(const paths& p, std::chrono::milliseconds hold) {
  auto lock_path = agent_status_file(p).string() + ".lock";
  std::filesystem::create_directories(agent_status_file(p).parent_path());
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0600);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0)
      ::_exit(1);
    char c = 'x';
    (void) !::write(ready[1], &c, 1);
    ::usleep(static_cast<useconds_t>(hold.count() * 1000));
    ::_exit(0);
  }
  ::close(ready[1]);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  return child;
}

} // namespace

TEST_CASE("status: with the file's lock held by another process, a 1-thread scheduler keeps its "
          "timers, and the file catches up once the lock is free") {
  test::temp_dir dir;
  paths p{dir.path()};
  auto holder = hold_status_lock(p, 5000ms);
  auto locked_at = std::chrono::steady_clock::now();
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system system{cfg};
  auto board = std::make_shared<status_board>();
  auto writer = system.spawn<caf::detached>(status_writer, p, board, 20ms);
  set_agent_status_sink(board, [writer] { caf::anon_send(writer, changed_atom::value); });
  // A timer-driven actor on the only scheduler thread that records its
  // progress every 50 ms, as check-in, modules and transport do.
  auto beats = std::make_shared<std::atomic<int64_t>>(0);
  auto ticker = system.spawn([beats](caf::event_based_actor* self) -> caf::behavior {
    self->send(self, beat_atom::value);
    return {[=](beat_atom) {
      auto n = ++*beats;
      record_agent_status([&](agent_status& s) { s.last_checkin = n; });
      self->delayed_send(self, 50ms, beat_atom::value);
    }};
  });
  // 2 s of a 50 ms timer is 40 beats; blocked on the lock it would be 1.
  CHECK(test::wait_until([&] { return beats->load() >= 30; }, 2500ms));
  CHECK(std::chrono::steady_clock::now() - locked_at < 4s); // the lock was held all along
  int status = 0;
  REQUIRE(::waitpid(holder, &status, 0) == holder);
  CHECK(WIFEXITED(status));
  // Once the lock is free the file holds a recent beat.
  int64_t seen = 0;
  CHECK(test::wait_until(
    [&] {
      auto s = load_agent_status(p);
      seen = s ? s->last_checkin : 0;
      return seen >= 30;
    },
    15000ms));
  set_agent_status_sink(nullptr, {});
  caf::anon_send_exit(ticker, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  system.await_all_actors_done();
  // The writer's last act: the final status, every beat of it.
  auto final_status = load_agent_status(p);
  REQUIRE(final_status);
  CHECK(final_status->last_checkin == board->snapshot().first.last_checkin);
}

TEST_CASE("status: a burst of changes is one write") {
  test::temp_dir dir;
  paths p{dir.path()};
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system system{cfg};
  auto board = std::make_shared<status_board>();
  auto writer = system.spawn<caf::detached>(status_writer, p, board, 200ms);
  caf::scoped_actor self{system};
  uint64_t written = 0;
  auto file_version = [&] {
    self->request(writer, caf::infinite, caf::get_atom::value)
      .receive([&](uint64_t v) { written = v; }, [](caf::error&) {});
    return written;
  };
  for (int i = 1; i <= 100; ++i) {
    board->apply([&](agent_status& s) { s.pid = i; });
    caf::anon_send(writer, changed_atom::value);
  }
  CHECK(test::wait_until([&] { return file_version() == 100; }, 5000ms));
  // 100 changes within the debounce interval: the start-up write and one
  // more, not a hundred (the file's inode changes with every rename).
  CHECK(load_agent_status(p)->pid == 100);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
}
