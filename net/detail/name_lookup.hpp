#pragma once

// Internal to net/: name lookups with a deadline. Not for use outside net/.

#include <boost/asio/ip/tcp.hpp>
#include <caf/expected.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vigil::detail {

/// Looks `host` up for `port`, blocking, as long as it takes.
using blocking_lookup = std::function<caf::expected<std::vector<boost::asio::ip::tcp::endpoint>>(
  const std::string& host, uint16_t port)>;

/// The system's resolver (getaddrinfo, through Asio's synchronous resolver:
/// the same flags as the asynchronous one the client used before).
caf::expected<std::vector<boost::asio::ip::tcp::endpoint>> system_lookup(const std::string& host,
                                                                         uint16_t port);

/// Lookups that started and have not returned yet, including those whose
/// caller gave up on them.
size_t lookups_in_flight() noexcept;

/// At most this many lookups are in flight at once: one more fails at once.
inline constexpr size_t max_lookups_in_flight = 8;

/// `lookup(host, port)` with a deadline: the answer if it comes within
/// `deadline`, else `ec::timeout` naming the host. getaddrinfo cannot be
/// interrupted (a resolver that never answers holds it for the resolv.conf
/// timeouts times the attempts, and Asio's resolver thread with it), so the
/// lookup runs on one of a few threads kept for lookups, which the caller
/// leaves behind when the deadline passes; that thread is busy until the
/// system's resolver gives up. While `max_lookups_in_flight` lookups are in
/// flight, a new one fails at once (`ec::busy`) instead of waiting behind
/// them.
caf::expected<std::vector<boost::asio::ip::tcp::endpoint>>
lookup_within(const std::string& host, uint16_t port, std::chrono::milliseconds deadline,
              const blocking_lookup& lookup = system_lookup);

} // namespace vigil::detail
