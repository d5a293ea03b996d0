#include "scan/command_runner.hpp"

#include <csignal>
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <thread>

#include "common/error.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::scan;
using namespace std::chrono_literals;

TEST_CASE("run_command: exit code and interleaved stdout/stderr, no shell") {
  auto r = run_command({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, 5s, 4096);
  REQUIRE(r);
  CHECK(r->exit_code == 3);
  CHECK(!r->signal);
  CHECK(r->output == "out\nerr\n");
  CHECK(!r->timed_out);
  CHECK(!r->truncated);
  // Arguments reach the program verbatim: nothing interprets ';' or '$'.
  auto echo = run_command({"echo", "a;b", "$HOME", "*"}, 5s, 4096);
  REQUIRE(echo);
  CHECK(echo->exit_code == 0);
  CHECK(echo->output == "a;b $HOME *\n");
}

TEST_CASE("run_command: a minimal C environment and stdin from /dev/null") {
  auto r = run_command({"/usr/bin/env"}, 5s, 4096);
  REQUIRE(r);
  std::string expected = "PATH=";
  expected += command_search_path;
  expected += "\nLANG=C\nLC_ALL=C\n";
  CHECK(r->output == expected);
  auto cat = run_command({"/bin/cat"}, 5s, 4096);
  REQUIRE(cat);
  CHECK(cat->exit_code == 0);
  CHECK(cat->output.empty());
}

TEST_CASE("run_command: a missing program is an error, not a crash") {
  auto r = run_command({"/nonexistent/program"}, 5s, 4096);
  REQUIRE(!r);
  CHECK(code_of(r.error()) == ec::not_found);
  auto bare = run_command({"no-such-program-vigil"}, 5s, 4096);
  REQUIRE(!bare);
  CHECK(code_of(bare.error()) == ec::not_found);
  CHECK(!run_command({}, 5s, 4096));
}

TEST_CASE("run_command: a command that outlives its timeout is killed with its group") {
  auto start = std::chrono::steady_clock::now();
  auto r = run_command({"/bin/sleep", "5"}, 200ms, 4096);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(r);
  CHECK(r->timed_out);
  CHECK(r->signal == SIGKILL);
  CHECK(!r->exit_code);
  CHECK(took >= 200ms);
  CHECK(took < 2s);
  // A grandchild in the background dies with the group: its pid no longer runs.
  auto g = run_command({"/bin/sh", "-c", "sleep 30 & echo $!; wait"}, 300ms, 4096);
  REQUIRE(g);
  CHECK(g->timed_out);
  auto grandchild = std::stoi(g->output);
  // Killed, it is gone or a zombie waiting for init (which, in a container,
  // may never reap it): either way no longer running.
  auto running = [&] {
    auto stat = vigil::test::read_file("/proc/" + std::to_string(grandchild) + "/stat");
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
  };
  CHECK(vigil::test::wait_until([&] { return !running(); }, 1000ms));
}

TEST_CASE("run_command: a flooding command keeps at most the cap and memory stays flat") {
  constexpr size_t cap = 64 * 1024;
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  auto start = std::chrono::steady_clock::now();
  auto r = run_command({"/usr/bin/yes"}, 700ms, cap);
  auto took = std::chrono::steady_clock::now() - start;
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  REQUIRE(r);
  CHECK(r->truncated);
  CHECK(r->timed_out);
  CHECK(r->output.size() == cap);
  CHECK(r->output.substr(0, 4) == "y\ny\n");
  CHECK(took < 2s);
  // yes writes hundreds of MB in 700 ms; the peak RSS may not grow by more
  // than a few MB (ru_maxrss is in KiB).
  CHECK(after.ru_maxrss - before.ru_maxrss < 8 * 1024);
  // Output beyond the cap of a command that ends by itself: exit code kept.
  auto seq = run_command({"/usr/bin/seq", "1", "100000"}, 5s, 10);
  REQUIRE(seq);
  CHECK(seq->exit_code == 0);
  CHECK(seq->truncated);
  CHECK(!seq->timed_out);
  CHECK(seq->output == "1\n2\n3\n4\n5\n");
}

TEST_CASE("run_command: commands run as the unprivileged user unless privileged, under limits, "
          "with no_new_privs") {
  auto nobody = unprivileged_user();
  auto id = run_command({"/usr/bin/id", "-u"}, 5s, 4096);
  REQUIRE(id);
  CHECK(id->exit_code == 0);
  if (::geteuid() == 0) {
    CHECK(id->output == std::to_string(nobody.uid) + "\n");
    auto groups = run_command({"/usr/bin/id", "-G"}, 5s, 4096);
    REQUIRE(groups);
    CHECK(groups->output == std::to_string(nobody.gid) + "\n");
    auto root = run_command({"/usr/bin/id", "-u"}, 5s, 4096, true);
    REQUIRE(root);
    CHECK(root->output == "0\n");
    // What only root may read stays unread.
    auto shadow = run_command({"/bin/cat", "/etc/shadow"}, 5s, 4096);
    REQUIRE(shadow);
    CHECK(shadow->exit_code != 0);
  } else {
    CHECK(id->output == std::to_string(::geteuid()) + "\n");
  }
  // The limits hold in the child (and it cannot raise them: soft = hard).
  auto limits = run_command({"/bin/sh", "-c", "ulimit -v; ulimit -t; ulimit -n; ulimit -Hv"}, 5s,
                            4096);
  REQUIRE(limits);
  CHECK(limits->output == "1048576\n6\n256\n1048576\n");
  auto status = run_command({"/bin/grep", "NoNewPrivs", "/proc/self/status"}, 5s, 4096);
  REQUIRE(status);
  CHECK(status->output.find("NoNewPrivs:\t1") != std::string::npos);
  // A program that cannot start still is a named error (through the fork path).
  auto missing = run_command({"/nonexistent/program"}, 5s, 4096, true);
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
}

TEST_CASE("run_command: a command that allocates past its address space limit fails alone") {
  auto r = run_command({"/usr/bin/python3", "-c", "x = bytearray(2 << 30)"}, 10s, 4096);
  REQUIRE(r);
  CHECK(r->exit_code != 0);
  CHECK(r->output.find("MemoryError") != std::string::npos);
}
