// A password read from standard input (issue 15, defect 6): one line, no echo
// at a terminal, nothing of it in an error.

#include "host/password_input.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <thread>
#include <unistd.h>

#include "common/error.hpp"
#include "tests/support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// A pipe whose read end is handed to the code under test.
struct pipe_input {
  int fds[2]{-1, -1};
  explicit pipe_input(const std::string& text) {
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fds[1]);
  }
  ~pipe_input() { ::close(fds[0]); }
  int fd() const { return fds[0]; }
  std::string rest() const {
    std::string out;
    char buf[256];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;)
      out.append(buf, static_cast<size_t>(n));
    return out;
  }
};

} // namespace

TEST_CASE("read_secret_line: one line from a pipe; the rest stays unread") {
  pipe_input in{"Hunter2 with spaces\nnext line\n"};
  auto line = read_secret_line(in.fd(), "");
  REQUIRE(line);
  CHECK(*line == "Hunter2 with spaces");
  CHECK(in.rest() == "next line\n");
  pipe_input crlf{"Windows\r\n"};
  CHECK(*read_secret_line(crlf.fd(), "") == "Windows");
  pipe_input last{"no line break"};
  CHECK(*read_secret_line(last.fd(), "") == "no line break");
}

TEST_CASE("read_secret_line: empty input and control characters are refused without quoting") {
  pipe_input none{""};
  auto empty = read_secret_line(none.fd(), "");
  REQUIRE_FALSE(empty);
  CHECK(code_of(empty.error()) == ec::invalid_argument);
  pipe_input blank{"\n"};
  CHECK_FALSE(read_secret_line(blank.fd(), ""));
  pipe_input bell{"Top\aSecret\n"};
  auto control = read_secret_line(bell.fd(), "");
  REQUIRE_FALSE(control);
  CHECK(render(control.error()).find("Secret") == std::string::npos);
  CHECK(render(control.error()).find("control character") != std::string::npos);
}

TEST_CASE("read_proxy_password: only `/p -` reads; the line replaces it") {
  proxy_option given;
  given.proxy_urls = {"http://127.0.0.1:3128"};
  given.username = "bob";
  given.password = "literal";
  pipe_input unused{"ignored\n"};
  REQUIRE(read_proxy_password(given, unused.fd()));
  CHECK(*given.password == "literal");
  CHECK(unused.rest() == "ignored\n");
  auto asked = parse_proxy_option("/u http://127.0.0.1:3128 /n bob /p -");
  REQUIRE(asked);
  CHECK(asks_password_on_stdin(*asked));
  pipe_input in{"From-Stdin\n"};
  REQUIRE(read_proxy_password(*asked, in.fd()));
  CHECK(*asked->password == "From-Stdin");
  CHECK_FALSE(asks_password_on_stdin(*asked));
}

TEST_CASE("read_secret_line: at a terminal the line is not echoed, and the echo comes back") {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  int tty = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  REQUIRE(tty >= 0);
  auto echoing = [tty] {
    termios t{};
    REQUIRE(::tcgetattr(tty, &t) == 0);
    return (t.c_lflag & ECHO) != 0;
  };
  REQUIRE(echoing());
  caf::expected<std::string> line{std::string{}};
  std::thread reader{[&] { line = read_secret_line(tty, ""); }};
  bool quiet = test::wait_until([&] { return !echoing(); }, 10s);
  if (!quiet) { // let the reader end before failing
    CHECK(::write(master, "\n", 1) == 1);
    reader.join();
    FAIL("the echo was never turned off");
  }
  const std::string secret = "Typed-Secret";
  CHECK(::write(master, (secret + "\n").data(), secret.size() + 1)
        == static_cast<ssize_t>(secret.size() + 1));
  reader.join();
  REQUIRE(line);
  CHECK(*line == secret);
  CHECK(echoing());
  // What the terminal showed: at most the line break, never the password.
  std::string shown;
  pollfd p{master, POLLIN, 0};
  char buf[256];
  while (::poll(&p, 1, 100) > 0 && (p.revents & POLLIN)) {
    auto n = ::read(master, buf, sizeof(buf));
    if (n <= 0)
      break;
    shown.append(buf, static_cast<size_t>(n));
  }
  CHECK(shown.find(secret) == std::string::npos);
  ::close(tty);
  ::close(master);
}
