#include "host/process.hpp"

#include <csignal>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex>
#include <unistd.h>

#include "common/error.hpp"
#include "host/systemd_service.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "vigil_test_config.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A shell script at `file` that prints `text`, executable.
void write_script(const fs::path& file, const std::string& text) {
  test::write_file(file, "#!/bin/sh\necho " + text + "\n");
  fs::permissions(file, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec
                          | fs::perms::others_read | fs::perms::others_exec);
}

/// Sets PATH for the scope.
struct path_override {
  explicit path_override(const std::string& value) {
    if (const char* old = std::getenv("PATH"))
      saved = old;
    ::setenv("PATH", value.c_str(), 1);
  }
  ~path_override() {
    ::setenv("PATH", saved.c_str(), 1);
  }
  std::string saved;
};

} // namespace

TEST_CASE("run_program: output, exit code, input and environment") {
  auto r = run_program({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  REQUIRE(r);
  CHECK(r->exit_code == 3);
  CHECK(r->signal == 0);
  CHECK(r->out == "out\n");
  CHECK(r->err == "err\n");
  CHECK_FALSE(r->succeeded());
  program_options merged;
  merged.merge_output = true;
  merged.input = "fed on stdin\n";
  merged.environment = std::vector<std::string>{"ONLY=this"};
  auto m = run_program({"/bin/sh", "-c", "cat; echo $ONLY; echo ${HOME:-no-home} >&2"}, merged);
  REQUIRE(m);
  CHECK(m->succeeded());
  CHECK(m->out == "fed on stdin\nthis\nno-home\n");
  CHECK(m->err.empty());
  // Without input, stdin is /dev/null: a reader ends at once.
  auto cat = run_program({"/bin/cat"});
  REQUIRE(cat);
  CHECK(cat->succeeded());
  CHECK(cat->out.empty());
}

TEST_CASE("run_program: never a PATH lookup; a missing program is named") {
  test::temp_dir dir;
  write_script(dir.path() / "true", "planted");
  path_override path{dir.path().string()};
  auto bare = run_program({"true"});
  REQUIRE_FALSE(bare);
  CHECK(code_of(bare.error()) == ec::invalid_argument);
  auto relative = run_program({"bin/true"});
  REQUIRE_FALSE(relative);
  CHECK(code_of(relative.error()) == ec::invalid_argument);
  auto missing = run_program({"/nonexistent/program"});
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
  CHECK_FALSE(run_program({}));
  // find_program looks only in the directories it is given, never in PATH.
  auto found = find_program("true", "/usr/bin:/bin");
  REQUIRE(found);
  CHECK(found->parent_path() != dir.path());
  CHECK(found->is_absolute());
}

TEST_CASE("run_program: the child gets a clean signal state and none of our descriptors") {
  // A descriptor opened without O_CLOEXEC, SIGTERM blocked in this thread and
  // SIGPIPE and SIGHUP ignored: none of it may reach the child.
  int leaked = ::open("/dev/null", O_RDONLY);
  REQUIRE(leaked > 2);
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &term, &old);
  auto old_pipe = std::signal(SIGPIPE, SIG_IGN);
  auto old_hup = std::signal(SIGHUP, SIG_IGN);
  auto r = run_program({"/bin/sh", "-c",
                        "test -e /proc/self/fd/" + std::to_string(leaked)
                          + " && echo leaked; grep -E '^Sig(Blk|Ign)' /proc/self/status"});
  std::signal(SIGPIPE, old_pipe);
  std::signal(SIGHUP, old_hup);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::close(leaked);
  REQUIRE(r);
  CAPTURE(r->out);
  REQUIRE(r->out.starts_with("SigBlk:\t0000000000000000\nSigIgn:\t"));
  // (glibc's own signals 32 and 33 keep whatever disposition the test runner
  // gave them: posix_spawn may not touch them.)
  auto ignored = std::stoull(r->out.substr(r->out.rfind('\t') + 1), nullptr, 16);
  for (int sig : {SIGTERM, SIGPIPE, SIGHUP, SIGINT, SIGCHLD})
    CHECK((ignored & (1ull << (sig - 1))) == 0);
}

TEST_CASE("run_program: the deadline kills the child, and its group when asked") {
  program_options options;
  options.timeout = 300ms;
  options.own_process_group = true;
  auto start = std::chrono::steady_clock::now();
  auto g = run_program({"/bin/sh", "-c", "sleep 30 & echo $!; wait"}, options);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(g);
  CHECK(g->timed_out);
  CHECK(g->signal == SIGKILL);
  CHECK_FALSE(g->exit_code);
  CHECK(took >= 300ms);
  CHECK(took < 2s);
  auto grandchild = std::stoi(g->out);
  auto running = [&] {
    auto stat = test::read_file("/proc/" + std::to_string(grandchild) + "/stat");
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
  };
  CHECK(test::wait_until([&] { return !running(); }, 1000ms));
  // A child that exits while a grandchild (in its group) keeps its output
  // open does not hold the caller past the deadline either.
  start = std::chrono::steady_clock::now();
  auto held = run_program({"/bin/sh", "-c", "sleep 30 & exit 0"}, options);
  took = std::chrono::steady_clock::now() - start;
  REQUIRE(held);
  CHECK(held->timed_out);
  CHECK(held->exit_code == 0);
  CHECK(took < 2s);
}

TEST_CASE("run_program: a program that leaves a daemon behind is done when it exits") {
  // As vigil-agent does when it starts its supervisor: the daemon may keep
  // the output open for as long as it runs.
  program_options options;
  options.timeout = 5s;
  options.stop_at_exit = true;
  auto start = std::chrono::steady_clock::now();
  auto r = run_program({"/bin/sh", "-c", "sleep 30 & echo started; echo $! >&2"}, options);
  REQUIRE(r);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(r->succeeded());
  CHECK(r->out == "started\n");
  auto daemon = std::stoi(r->err);
  CHECK(::kill(daemon, 0) == 0); // left running, as a daemon should be
  ::kill(daemon, SIGKILL);
}

TEST_CASE("run_program: output past the cap is dropped, or kills when asked") {
  program_options options;
  options.max_out_bytes = 10;
  auto seq = run_program({"/usr/bin/seq", "1", "100000"}, options);
  REQUIRE(seq);
  CHECK(seq->succeeded());
  CHECK(seq->truncated);
  CHECK(seq->out == "1\n2\n3\n4\n5\n");
  options.kill_on_overflow = true;
  options.timeout = 5s;
  auto start = std::chrono::steady_clock::now();
  auto yes = run_program({"/usr/bin/yes"}, options);
  REQUIRE(yes);
  CHECK(yes->overflowed);
  CHECK_FALSE(yes->timed_out);
  CHECK(yes->signal == SIGKILL);
  CHECK(yes->out.size() == 10);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("start_detached: a new session, its own environment, the open file it is given") {
  test::temp_dir dir;
  auto out = dir.path() / "out";
  // The session id of the detached process is its own pid.
  auto pid = start_detached({"/bin/sh", "-c",
                             "echo $(cut -d' ' -f6 /proc/$$/stat) $PATH > " + out.string()},
                            {"PATH=/usr/bin:/bin"});
  REQUIRE(pid);
  REQUIRE(test::wait_until([&] { return test::read_file(out).ends_with("\n"); }, 5s));
  CHECK(test::read_file(out) == std::to_string(*pid) + " /usr/bin:/bin\n");
  // From an open file (as fexecve): a binary, since a script's interpreter
  // would open the script again by name.
  int sh = ::open("/bin/sh", O_RDONLY | O_CLOEXEC);
  REQUIRE(sh >= 0);
  auto fd_out = dir.path() / "fd-out";
  auto from_fd = start_detached({"sh", "-c", "echo ran > " + fd_out.string()}, {}, sh);
  ::close(sh);
  REQUIRE(from_fd);
  CHECK(test::wait_until([&] { return test::read_file(fd_out) == "ran\n"; }, 5s));
  auto missing = start_detached({"/nonexistent/program"}, {});
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
}

TEST_CASE("find_trusted_program: only programs root alone can change") {
  auto sh = find_trusted_program("sh", "/usr/bin:/bin");
  REQUIRE(sh);
  CHECK(sh->is_absolute());
  // A program in a directory others may write to is refused, however the
  // file itself is owned; so is a file another user owns. (The walk goes
  // from the file up, so each refusal names its own culprit before /tmp.)
  test::temp_dir dir;
  fs::permissions(dir.path(), fs::perms::all);
  write_script(dir.path() / "tool", "x");
  auto open_dir = find_trusted_program("tool", dir.path().string());
  REQUIRE_FALSE(open_dir);
  CHECK(code_of(open_dir.error()) == ec::permission_denied);
  CHECK(context_of(open_dir.error())
        == (dir.path() / "tool").string() + " is not trusted: " + dir.path().string()
             + " may be changed by a user other than root");
  fs::permissions(dir.path(), fs::perms::owner_all);
  REQUIRE(::chown((dir.path() / "tool").c_str(), 65534, 65534) == 0);
  auto foreign = find_trusted_program((dir.path() / "tool").string(), "");
  REQUIRE_FALSE(foreign);
  CHECK(code_of(foreign.error()) == ec::permission_denied);
  CHECK(context_of(foreign.error()).find("is not trusted: " + (dir.path() / "tool").string())
        != std::string::npos);
}

TEST_CASE("systemctl is run by its absolute path, never found through PATH") {
  test::temp_dir dir;
  write_script(dir.path() / "systemctl", "planted");
  path_override path{dir.path().string() + ":/usr/bin:/bin"};
  auto command = systemctl_command({"is-active", "vigil-agent.service"});
  bool installed = fs::exists("/usr/bin/systemctl") || fs::exists("/bin/systemctl");
  REQUIRE(static_cast<bool>(command) == installed);
  if (!command)
    return;
  REQUIRE(command->size() == 3);
  CHECK((command->front() == "/usr/bin/systemctl" || command->front() == "/bin/systemctl"));
  CHECK(command->at(1) == "is-active");
}

TEST_CASE("hand-over: a transient systemd service under systemd, a new session elsewhere") {
  // Under systemd: systemd-run by its absolute path, the program by the path
  // its open file has, in a unit of its own that is collected when it ends.
  auto command = handover_command("/var/opt/vigil/Patch/staged/vigil-setup",
                                  {"--root", "/", "PatchInstall=TRUE"}, "vigil-handover-1.service");
  bool installed = fs::exists("/usr/bin/systemd-run") || fs::exists("/bin/systemd-run");
  REQUIRE(static_cast<bool>(command) == installed);
  if (command) {
    CHECK((command->front() == "/usr/bin/systemd-run" || command->front() == "/bin/systemd-run"));
    CHECK(std::vector<std::string>(command->begin() + 1, command->begin() + 5)
          == std::vector<std::string>{"--unit=vigil-handover-1.service", "--collect", "--quiet",
                                      "--service-type=exec"});
    CHECK(std::vector<std::string>(command->end() - 5, command->end())
          == std::vector<std::string>{"--", "/var/opt/vigil/Patch/staged/vigil-setup", "--root",
                                      "/", "PatchInstall=TRUE"});
  }
  // Not a systemd service (no INVOCATION_ID): started from the open file.
  const char* invocation = std::getenv("INVOCATION_ID");
  std::string saved = invocation ? invocation : "";
  ::unsetenv("INVOCATION_ID");
  CHECK_FALSE(running_as_systemd_service());
  test::temp_dir dir;
  int sh = ::open("/bin/sh", O_RDONLY | O_CLOEXEC);
  REQUIRE(sh >= 0);
  auto started = start_handover(sh, {"sh", "-c", "echo $PATH > " + (dir / "out").string()});
  ::close(sh);
  if (invocation)
    ::setenv("INVOCATION_ID", saved.c_str(), 1);
  REQUIRE(started);
  CHECK(test::wait_until([&] { return test::read_file(dir / "out") == "/usr/sbin:/usr/bin:/sbin:/bin\n"; },
                         5s));
}

TEST_CASE("no product code finds a program through PATH") {
  // Every program the agent, the installer and the tools start is named by
  // an absolute path (run_program refuses anything else); a PATH-searching
  // exec or a shell would bring back what issue 15 (defect 7) removed.
  static const std::regex searching{R"((\bexecvpe?|\bexeclp|\bposix_spawnp|\bpopen|std::system|::system)\s*\()"};
  std::vector<std::string> found;
  for (auto folder : {"actors", "common", "host", "net", "scan", "storage", "protocol", "installer",
                      "tools", "platform"}) {
    for (auto& entry : fs::recursive_directory_iterator(fs::path{VIGIL_TEST_SOURCE_DIR} / folder)) {
      auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".hpp")
        continue;
      auto text = test::read_file(entry.path());
      if (std::regex_search(text, searching))
        found.push_back(entry.path().string());
    }
  }
  CHECK(found.empty());
  for (auto& file : found)
    MESSAGE(file);
}
