// The real vigil-proxy binary in temporary roots (SPEC §10, §17).

#include <doctest/doctest.h>
#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/hive_file.hpp"
#include "host/paths.hpp"
#include "host/proxy_config.hpp"
#include "host/secret_box.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

struct tool_root {
  test::temp_dir dir;
  tool_root() {
    test::write_file(dir / "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
  }
  test::process_result run(std::vector<std::string> args, std::vector<std::string> env = {}) {
    std::vector<std::string> argv{test::program("vigil-proxy").string(), "--root",
                                  dir.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv, env);
  }
  std::string hive_text() const { return test::read_file(dir / "etc/opt/vigil/registry.reg"); }
  proxy_config config() const {
    auto c = load_proxy_config(hive_file{dir / "etc/opt/vigil/registry.reg"});
    REQUIRE(c);
    return *c;
  }
};

/// `argv` started with a pipe on its standard input (its output discarded),
/// so the test can look at the running process before it writes the input.
struct piped_child {
  pid_t pid = -1;
  int input = -1;

  explicit piped_child(const std::vector<std::string>& argv) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fds[0], STDIN_FILENO);
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[0]);
    input = fds[1];
  }
  ~piped_child() {
    if (input >= 0)
      ::close(input);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  /// Writes `text` and closes the pipe; returns the exit code.
  int finish(const std::string& text) {
    CHECK(::write(input, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(input);
    input = -1;
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

/// What /proc says a process runs with: its arguments and its environment.
std::string proc_text(pid_t pid, const char* what) {
  return test::read_file("/proc/" + std::to_string(pid) + "/" + what);
}

/// Whether the process waits in read(2) of its standard input: /proc's
/// syscall file shows the system call's number (read is 0 on x86-64, 63 on
/// arm64) and its first argument, the descriptor.
bool blocked_in_read(pid_t pid) {
  auto call = proc_text(pid, "syscall");
  return call.starts_with("0 0x0 ") || call.starts_with("63 0x0 ");
}

} // namespace

TEST_CASE("vigil-proxy binary: /p - reads the password from standard input, never from argv") {
  tool_root root;
  const std::string password = "Stdin-Secret 42!";
  std::vector<std::string> argv{test::program("vigil-proxy").string(), "--root",
                                root.dir.path().string(), "/u", "http://127.0.0.1:3128", "/n",
                                "bob", "/p", "-"};
  piped_child child{argv};
  // While it runs (waiting for the line), /proc shows no password: there is
  // none in its arguments or its environment to show.
  REQUIRE(test::wait_until([&] { return blocked_in_read(child.pid); }, std::chrono::seconds{10}));
  auto cmdline = proc_text(child.pid, "cmdline");
  CHECK(cmdline.find("/p") != std::string::npos);
  CHECK(cmdline.find(password) == std::string::npos);
  CHECK(proc_text(child.pid, "environ").find(password) == std::string::npos);
  CHECK(child.finish(password + "\n") == 0);
  // Stored sealed, and it is this password.
  auto config = root.config();
  CHECK(config.username == "bob");
  REQUIRE(config.sealed_password);
  CHECK(root.hive_text().find(password) == std::string::npos);
  CHECK(root.hive_text().find("Stdin-Secret") == std::string::npos);
  auto box = secret_box::open(paths{root.dir.path()});
  REQUIRE(box);
  auto opened = box->open_sealed(*config.sealed_password, proxy_password_purpose);
  REQUIRE(opened);
  CHECK(*opened == password);

  SUBCASE("a line from a file, CRLF ended; the guide's /p PASSWORD still works") {
    auto r = test::run({test::program("vigil-proxy").string(), "--root", root.dir.path().string(),
                        "/a", "http://127.0.0.1:8080/x.pac", "/n", "bob", "/p", "-"},
                       {}, std::string{"Crlf-Secret\r\nnot the password\n"});
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    auto sealed = root.config().sealed_password;
    REQUIRE(sealed);
    CHECK(*box->open_sealed(*sealed, proxy_password_purpose) == "Crlf-Secret");
    CHECK(root.run({"/u", "127.0.0.1:3128", "/n", "bob", "/p", "Guide123"}).exit_code == 0);
    CHECK(*box->open_sealed(*root.config().sealed_password, proxy_password_purpose)
          == "Guide123");
  }
  SUBCASE("nothing on standard input: refused, settings unchanged") {
    auto before = root.hive_text();
    auto r = test::run({test::program("vigil-proxy").string(), "--root", root.dir.path().string(),
                        "/u", "127.0.0.1:3128", "/n", "bob", "/p", "-"},
                       {}, std::string{});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("no password on standard input") != std::string::npos);
    CHECK(root.hive_text() == before);
    auto control = test::run({test::program("vigil-proxy").string(), "--root",
                              root.dir.path().string(), "/u", "127.0.0.1:3128", "/n", "bob", "/p",
                              "-"},
                             {}, std::string{"Bell\aSecret\n"});
    CHECK(control.exit_code == 2);
    CHECK(control.err.find("Secret") == std::string::npos);
    CHECK(root.hive_text() == before);
  }
}

TEST_CASE("vigil-proxy binary: --help, set, show, delete") {
  tool_root root;
  auto help = root.run({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("/t on|off") != std::string::npos);
  auto set = root.run({"/u", "http://127.0.0.1:3128;127.0.0.1:8080", "/n", "bob", "/p",
                       "Secret123", "/c"});
  CHECK_MESSAGE(set.exit_code == 0, set.err);
  CHECK(set.out.find("http://127.0.0.1:3128;127.0.0.1:8080") != std::string::npos);
  CHECK(set.out.find("set (encrypted)") != std::string::npos);
  CHECK(set.out.find("Secret123") == std::string::npos);
  CHECK(root.config().username == "bob");
  auto show = root.run({"-C"});
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("Direct after proxies fail (/t):   on") != std::string::npos);
  CHECK(show.out.find("Credentials to every proxy (/e):  off") != std::string::npos);
  auto opt_in = root.run({"/e", "on"});
  CHECK_MESSAGE(opt_in.exit_code == 0, opt_in.err);
  CHECK(root.config().credentials_to_any);
  CHECK(root.config().username == "bob"); // the rest stays as it was
  CHECK(root.run({"/e", "maybe"}).exit_code != 0);
  CHECK(root.run({"/d"}).exit_code == 0);
  CHECK(root.config() == proxy_config{});
}

TEST_CASE("vigil-proxy binary: VIGIL_ROOT works like --root") {
  tool_root root;
  auto r = test::run({test::program("vigil-proxy").string(), "/w", "on"},
                     {"VIGIL_ROOT=" + root.dir.path().string()});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(root.config().wpad);
}

TEST_CASE("vigil-proxy binary: bad arguments fail with a specific message, settings unchanged") {
  tool_root root;
  REQUIRE(root.run({"/u", "http://127.0.0.1:3128", "/n", "bob", "/p", "Secret123"}).exit_code == 0);
  auto before = root.hive_text();
  struct bad {
    std::vector<std::string> args;
    std::string message;
  };
  for (auto& b : std::vector<bad>{
         {{"/u", "http://127.0.0.1:1", "/a", "http://127.0.0.1/x.pac"}, "/u and /a exclude each other"},
         {{"/n", "alice"}, "/n and /p need /u"},
         {{"/w", "maybe"}, "/w takes on or off, not 'maybe'"},
         {{"/q"}, "unknown option '/q'"},
         {{"/t"}, "/t needs a value"},
         {{"/u", "ftp://x:1"}, "the scheme must be http or https"},
         {{}, "no option given"},
         {{"/u", "127.0.0.1:1", "/n", "a", "/p", "Pass", "word"}, "after the /p password"},
       }) {
    CAPTURE(b.message);
    auto r = root.run(b.args);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(b.message) != std::string::npos);
    CHECK(r.err.find("Pass") == std::string::npos);
    CHECK(root.hive_text() == before);
  }
}

TEST_CASE("vigil-proxy binary: a password with spaces and quotes, quoted by the shell") {
  tool_root root;
  auto r = test::run({"/bin/sh", "-c",
                      test::program("vigil-proxy").string() + " --root '" + root.dir.path().string()
                        + "' /u 127.0.0.1:3128 /n bob /p \"a b\\\"c\""});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(root.hive_text().find("a b") == std::string::npos);
  CHECK(root.config().sealed_password);
}
