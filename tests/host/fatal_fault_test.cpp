// The line a crash or an uncaught exception leaves in Agent.log
// (host/fatal_fault.hpp): its layout, and, in forked children that really
// fault, that it is written and the process still ends by its signal.

#include "host/fatal_fault.hpp"

#include <csignal>
#include <doctest/doctest.h>
#include <regex>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

/// Runs `body` in a forked child and returns how it ended (waitpid's status).
template <class Body>
int in_child(Body body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

} // namespace

TEST_CASE("fatal fault: the line has the log files' layout and is cut, never overrun") {
  char line[200];
  auto n = detail::format_fault_line(line, sizeof(line), "signal SIGSEGV (invalid memory access)");
  std::string text{line, n};
  CHECK(std::regex_match(text, std::regex{R"(\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[Agent\] )"
                                          R"(\[critical\] \[\d+\] the agent ends: signal SIGSEGV )"
                                          R"(\(invalid memory access\)\n)"}));
  char small[40];
  auto cut = detail::format_fault_line(small, sizeof(small), std::string(500, 'x'));
  CHECK(cut == sizeof(small));
  CHECK(small[sizeof(small) - 1] == '\n');
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
TEST_CASE("fatal fault: a crash and an uncaught exception say so in the log and keep their signal") {
  test::temp_dir dir;
  auto log = dir / "Agent.log";
  auto crashed = in_child([&] {
    report_fatal_faults(log);
    ::raise(SIGSEGV);
  });
  CHECK(WIFSIGNALED(crashed));
  CHECK(WTERMSIG(crashed) == SIGSEGV);
  CHECK(test::read_file(log).find("the agent ends: signal SIGSEGV (invalid memory access) at "
                                  "address 0x")
        != std::string::npos);
  auto thrown = in_child([&] {
    report_fatal_faults(log);
    std::thread{[] { throw std::runtime_error("the test's exception"); }}.join();
  });
  CHECK(WIFSIGNALED(thrown));
  CHECK(WTERMSIG(thrown) == SIGABRT);
  auto text = test::read_file(log);
  CHECK(text.find("the agent ends: an uncaught exception: the test's exception\n")
        != std::string::npos);
  CHECK(text.find("the agent ends: signal SIGABRT (aborted)\n") != std::string::npos);
}
#endif
