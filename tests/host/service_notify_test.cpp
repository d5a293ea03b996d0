#include "host/service_notify.hpp"

#include <doctest/doctest.h>

#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/support/environment.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

/// A datagram socket standing in for systemd's notify socket: bound to a path,
/// or to an abstract name when `name` starts with '@'.
struct notify_listener {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  explicit notify_listener(const std::string& name) {
    REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(name.size() <= sizeof(address.sun_path));
    name.copy(address.sun_path, name.size());
    if (name[0] == '@')
      address.sun_path[0] = '\0';
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size()))
            == 0);
  }

  ~notify_listener() {
    ::close(fd);
  }

  /// The next datagram; the sender has already sent it, so this does not wait.
  std::string next() const {
    char buffer[256];
    auto n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    REQUIRE(n >= 0);
    return {buffer, static_cast<size_t>(n)};
  }
};

} // namespace

TEST_CASE("service notify: nothing is sent outside a service manager") {
  test::scoped_environment unset{"NOTIFY_SOCKET", std::nullopt};
  CHECK_FALSE(notify_service_manager("READY=1"));
}

TEST_CASE("service notify: states reach the socket named by NOTIFY_SOCKET") {
  test::temp_dir dir;
  SUBCASE("a path") {
    auto path = (dir / "notify").string();
    notify_listener systemd{path};
    test::scoped_environment socket{"NOTIFY_SOCKET", path};
    CHECK(notify_service_manager("READY=1"));
    CHECK(notify_service_manager("WATCHDOG=1"));
    CHECK(systemd.next() == "READY=1");
    CHECK(systemd.next() == "WATCHDOG=1");
  }
  SUBCASE("an abstract name") {
    auto name = "@vigil-notify-test-" + std::to_string(::getpid());
    notify_listener systemd{name};
    test::scoped_environment socket{"NOTIFY_SOCKET", name};
    CHECK(notify_service_manager("STOPPING=1"));
    CHECK(systemd.next() == "STOPPING=1");
  }
  SUBCASE("a relative name, or nobody listening, is refused") {
    test::scoped_environment relative{"NOTIFY_SOCKET", "notify"};
    CHECK_FALSE(notify_service_manager("READY=1"));
    test::scoped_environment gone{"NOTIFY_SOCKET", (dir / "nobody").string()};
    CHECK_FALSE(notify_service_manager("READY=1"));
  }
}

TEST_CASE("service notify: the watchdog interval is for this process only") {
  test::scoped_environment pid{"WATCHDOG_PID", std::nullopt};
  SUBCASE("unset: no watchdog") {
    test::scoped_environment usec{"WATCHDOG_USEC", std::nullopt};
    CHECK_FALSE(service_watchdog_interval(::getpid()));
  }
  SUBCASE("set for everybody") {
    test::scoped_environment usec{"WATCHDOG_USEC", "120000000"};
    CHECK(service_watchdog_interval(::getpid()) == std::chrono::seconds{120});
  }
  SUBCASE("set for this process, or for another") {
    test::scoped_environment usec{"WATCHDOG_USEC", "5000000"};
    test::scoped_environment mine{"WATCHDOG_PID", std::to_string(::getpid())};
    CHECK(service_watchdog_interval(::getpid()) == std::chrono::seconds{5});
    CHECK_FALSE(service_watchdog_interval(::getpid() + 1));
  }
  SUBCASE("malformed or zero: no watchdog") {
    for (auto text : {"0", "-5", "12ab", ""}) {
      test::scoped_environment usec{"WATCHDOG_USEC", text};
      CHECK_FALSE(service_watchdog_interval(::getpid()));
    }
  }
}
