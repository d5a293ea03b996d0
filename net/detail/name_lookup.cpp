#include "net/detail/name_lookup.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/error.hpp"

namespace vigil::detail {

namespace {

namespace asio = boost::asio;
using endpoints = std::vector<asio::ip::tcp::endpoint>;

std::atomic<size_t> in_flight{0};

/// What a lookup thread and its caller share; whoever leaves last frees it.
struct lookup_slot {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<caf::expected<endpoints>> answer;
};

} // namespace

caf::expected<endpoints> system_lookup(const std::string& host, uint16_t port) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver{io};
  boost::system::error_code error;
  auto found = resolver.resolve(host, std::to_string(port), error);
  if (error)
    return make_error(ec::network_error, "cannot resolve " + host + ": " + error.message());
  endpoints result;
  for (auto& entry : found)
    result.push_back(entry.endpoint());
  return result;
}

size_t lookups_in_flight() noexcept {
  return in_flight.load();
}

caf::expected<endpoints> lookup_within(const std::string& host, uint16_t port,
                                       std::chrono::milliseconds deadline,
                                       const blocking_lookup& lookup) {
  if (in_flight.fetch_add(1) >= max_lookups_in_flight) {
    --in_flight;
    return make_error(ec::busy, "cannot resolve " + host + ": "
                                  + std::to_string(max_lookups_in_flight)
                                  + " earlier lookups still wait for the system's resolver");
  }
  auto slot = std::make_shared<lookup_slot>();
  try {
    std::thread{[slot, lookup, host, port] {
      auto answer = lookup(host, port);
      {
        std::lock_guard lock{slot->mutex};
        slot->answer = std::move(answer);
      }
      slot->done.notify_all();
      --in_flight;
    }}.detach();
  } catch (const std::system_error& e) {
    --in_flight;
    return make_error(ec::network_error,
                      "cannot resolve " + host + ": no thread for the lookup: " + e.what());
  }
  std::unique_lock lock{slot->mutex};
  if (!slot->done.wait_for(lock, deadline, [&] { return slot->answer.has_value(); }))
    return make_error(ec::timeout, "cannot resolve " + host + ": no answer within "
                                     + std::to_string(deadline.count()) + " ms");
  return std::move(*slot->answer);
}

} // namespace vigil::detail
