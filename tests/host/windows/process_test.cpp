#include "host/process.hpp"

#include <doctest/doctest.h>
#include <windows.h>

#include "common/error.hpp"
#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/windows/helper_program.hpp"
#include "tests/support/wait.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string child() {
  return test::helper_program("host_windows_child.exe").string();
}

program_result run(std::vector<std::string> args, program_options options = {}) {
  args.insert(args.begin(), child());
  auto r = run_program(args, options);
  REQUIRE(r);
  return *r;
}

} // namespace

TEST_CASE("run_program: output, exit code, input, arguments and environment") {
  program_options with_input;
  with_input.input = "hello\nworld";
  auto cat = run({"cat"}, with_input);
  CHECK(cat.succeeded());
  CHECK(cat.out == "hello\nworld");
  CHECK(run({"exit", "3"}).exit_code == 3);
  auto both = run({"both"});
  CHECK(both.out == "to out");
  CHECK(both.err == "to err");
  program_options merged;
  merged.merge_output = true;
  CHECK(run({"both"}, merged).out == "to outto err");
  program_options env;
  env.environment = std::vector<std::string>{"VIGIL_X=42", "SystemRoot=C:\\windows"};
  CHECK(run({"env", "VIGIL_X"}, env).out == "42");
  CHECK(run({"env", "VIGIL_X"}).out == "(unset)");
  auto args = run({"args", "two words", "quote\"inside", "trailing\\", ""});
  CHECK(args.out == "two words\nquote\"inside\ntrailing\\\n\n");
}

TEST_CASE("run_program: never a PATH lookup; a missing program is named") {
  auto relative = run_program({"cmd.exe", "/c", "echo"});
  REQUIRE_FALSE(relative);
  CHECK(code_of(relative.error()) == ec::invalid_argument);
  test::temp_dir dir;
  auto missing = run_program({(dir.path() / "missing.exe").string()});
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
  CHECK(context_of(missing.error()).find("missing.exe") != std::string::npos);
}

TEST_CASE("run_program: the deadline kills the child and what it started") {
  program_options quick;
  quick.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto slept = run({"sleep", "30000"}, quick);
  CHECK(slept.timed_out);
  CHECK_FALSE(slept.exit_code);
  CHECK(slept.signal == 9);
  // A grandchild holding the output past the deadline is killed with it.
  auto daemon = run({"daemon", "30000"}, quick);
  CHECK(daemon.timed_out);
  CHECK(daemon.out == "started");
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("run_program: a program that leaves a daemon behind is done when it exits") {
  program_options options;
  options.stop_at_exit = true;
  options.timeout = 10s;
  auto start = std::chrono::steady_clock::now();
  auto r = run({"daemon", "2000"}, options);
  CHECK(r.succeeded());
  CHECK(r.out == "started"); // what it wrote before it exited
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("run_program: output past the cap is dropped, or kills when asked") {
  program_options capped;
  capped.max_out_bytes = 1000;
  auto dropped = run({"flood", "200000"}, capped);
  CHECK(dropped.succeeded());
  CHECK(dropped.truncated);
  CHECK(dropped.out == std::string(1000, 'x'));
  capped.kill_on_overflow = true;
  auto killed = run({"flood", "100000000"}, capped);
  CHECK(killed.overflowed);
  CHECK_FALSE(killed.succeeded());
  CHECK(killed.out.size() == 1000);
}

TEST_CASE("start_detached: runs on its own; an open file cannot be started") {
  test::temp_dir dir;
  auto file = dir.path() / "ran.txt";
  auto pid = start_detached({child(), "write", file.string(), "detached"}, {"VIGIL_Y=1"});
  REQUIRE(pid);
  CHECK(*pid > 0);
  CHECK(test::wait_until([&] { return test::read_file(file) == "detached"; }, 10s));
  CHECK_FALSE(start_detached({(dir.path() / "missing.exe").string()}, {}));
  auto from_fd = start_detached({child()}, {}, 3);
  REQUIRE_FALSE(from_fd);
  CHECK(code_of(from_fd.error()) == ec::invalid_argument);
}

TEST_CASE("find_program: System32 stands for the POSIX default; a search path is searched") {
  auto cmd = find_program("cmd");
  REQUIRE(cmd);
  CHECK(fs::exists(*cmd));
  auto helpers = fs::path{child()}.parent_path();
  auto found = find_program("host_windows_child", helpers.string());
  REQUIRE(found);
  CHECK(fs::equivalent(*found, child()));
  auto missing = find_program("no-such-program-vigil");
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
}

TEST_CASE("run_program: limits and the restricted user start the program") {
  // Wine 8 accepts the job's limits but does not enforce ActiveProcessLimit
  // (a second process still starts): only Windows itself can show them bite.
  program_options limited;
  limited.limits = process_limits{};
  limited.limits->processes = 4;
  limited.limits->cpu_seconds = 10;
  limited.limits->address_space_bytes = 512u << 20;
  limited.limits->open_files = 64; // no Windows counterpart: ignored
  CHECK(run({"exit", "0"}, limited).succeeded());
  program_options as_user;
  as_user.user = unprivileged_user();
  CHECK(run({"exit", "7"}, as_user).exit_code == 7);
}

TEST_CASE("find_trusted_program: a program an ordinary user owns is refused, named") {
  test::temp_dir dir;
  test::write_file(dir.path() / "mine.exe", "MZ");
  auto mine = find_trusted_program("mine", dir.path().string());
  REQUIRE_FALSE(mine);
  CHECK(code_of(mine.error()) == ec::permission_denied);
  CHECK(context_of(mine.error()).find("mine.exe") != std::string::npos);
}

TEST_CASE("report_fatal_faults: an access violation and an uncaught exception say so in the log") {
  test::temp_dir dir;
  auto log = dir / "Agent.log";
  auto fault = run({"fault", log.string()});
  REQUIRE(fault.exit_code);
  CHECK(static_cast<unsigned>(*fault.exit_code) == 0xC0000005u); // what the system says, unchanged
  auto text = test::read_file(log);
  CHECK(text.find("[Agent] [critical] [") != std::string::npos);
  CHECK(text.find("the agent ends: access violation (0xc0000005) at 0x") != std::string::npos);
  CHECK(text.find("(host_windows_child.exe+0x") != std::string::npos);
  auto thrown = run({"throw", log.string()});
  CHECK_FALSE(thrown.succeeded());
  CHECK(test::read_file(log).find("the agent ends: an uncaught exception: the test's exception")
        != std::string::npos);
}
