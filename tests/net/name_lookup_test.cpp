// Name lookups with a deadline (issue 16, item 6), with lookups the test
// plays: one that answers, ones that never return until the test lets them.

#include "net/detail/name_lookup.hpp"

#include <condition_variable>
#include <doctest/doctest.h>
#include <mutex>

#include "common/error.hpp"
#include "tests/support/wait.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

/// Lookups that wait until `release()`, as getaddrinfo does for a DNS
/// server that never answers.
struct stuck_resolver {
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::condition_variable> released = std::make_shared<std::condition_variable>();
  std::shared_ptr<bool> free = std::make_shared<bool>(false);

  detail::blocking_lookup lookup() const {
    return [mutex = mutex, released = released, free = free](const std::string&, uint16_t port)
             -> caf::expected<std::vector<asio::ip::tcp::endpoint>> {
      std::unique_lock lock{*mutex};
      released->wait(lock, [&] { return *free; });
      return std::vector{asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), port}};
    };
  }

  void release() {
    {
      std::lock_guard lock{*mutex};
      *free = true;
    }
    released->notify_all();
  }
};

} // namespace

TEST_CASE("name lookup: an answer within the deadline is returned") {
  auto answer = detail::lookup_within(
    "platform.example.test", 443, 5s,
    [](const std::string&, uint16_t port) -> caf::expected<std::vector<asio::ip::tcp::endpoint>> {
      return std::vector{asio::ip::tcp::endpoint{asio::ip::make_address("::1"), port}};
    });
  REQUIRE(answer);
  REQUIRE(answer->size() == 1);
  CHECK(answer->front().port() == 443);
  auto failed = detail::lookup_within(
    "nowhere.example.test", 443, 5s,
    [](const std::string& host, uint16_t) -> caf::expected<std::vector<asio::ip::tcp::endpoint>> {
      return make_error(ec::network_error, "cannot resolve " + host + ": Host not found");
    });
  REQUIRE_FALSE(failed);
  CHECK(code_of(failed.error()) == ec::network_error);
}

TEST_CASE("name lookup: a lookup that never returns fails at the deadline; too many in flight "
          "fail at once") {
  REQUIRE(test::wait_until([] { return detail::lookups_in_flight() == 0; }, 10s));
  stuck_resolver dns;
  auto started = std::chrono::steady_clock::now();
  auto late = detail::lookup_within("silent.example.test", 443, 50ms, dns.lookup());
  CHECK(std::chrono::steady_clock::now() - started >= 50ms);
  REQUIRE_FALSE(late);
  CHECK(code_of(late.error()) == ec::timeout);
  CHECK(render(late.error()).find("cannot resolve silent.example.test: no answer within 50 ms")
        != std::string::npos);
  CHECK(detail::lookups_in_flight() == 1); // left behind, still waiting
  for (size_t i = 1; i < detail::max_lookups_in_flight; ++i)
    CHECK_FALSE(detail::lookup_within("silent.example.test", 443, 1ms, dns.lookup()));
  CHECK(detail::lookups_in_flight() == detail::max_lookups_in_flight);
  // One more would add a thread to the pile: refused without waiting.
  auto refused = detail::lookup_within("silent.example.test", 443, 10s, dns.lookup());
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == ec::busy);
  // The resolver gives up at last: the threads end, lookups go through again.
  dns.release();
  CHECK(test::wait_until([] { return detail::lookups_in_flight() == 0; }, 10s));
  CHECK(detail::lookup_within("silent.example.test", 443, 5s, dns.lookup()));
}
