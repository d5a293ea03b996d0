#include "net/detail/name_lookup.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <deque>
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

/// What a lookup worker and its caller share; whoever leaves last frees it.
struct lookup_slot {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<caf::expected<endpoints>> answer;
};

struct lookup_job {
  std::string host;
  uint16_t port;
  blocking_lookup lookup;
  std::shared_ptr<lookup_slot> slot;
};

/// Threads that run lookups, started as needed up to
/// `max_lookups_in_flight` and kept for the life of the process. A thread
/// per lookup (started, detached, ended) was the first shape: under Wine a
/// lookup thread now and then did not run for over 15 s (one run in ~20 of
/// the name lookup cases in net_windows_test.exe, and once in CI), long
/// enough to fail a connection; a pool starts at most eight threads once and
/// never ends one, and costs nothing per lookup.
class lookup_workers {
public:
  /// Queues `job` and starts a thread for it unless an idle one will take
  /// it. Throws std::system_error when no thread can be started.
  void submit(lookup_job job) {
    std::lock_guard lock{mutex_};
    jobs_.push_back(std::move(job));
    if (jobs_.size() > idle_ && threads_ < max_lookups_in_flight) {
      try {
        std::thread{[this] { run(); }}.detach();
      } catch (...) {
        jobs_.pop_back();
        throw;
      }
      ++threads_;
      return;
    }
    wake_.notify_one();
  }

private:
  [[noreturn]] void run() {
    for (;;) {
      std::unique_lock lock{mutex_};
      ++idle_;
      wake_.wait(lock, [&] { return !jobs_.empty(); });
      --idle_;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      auto answer = job.lookup(job.host, job.port);
      {
        std::lock_guard answered{job.slot->mutex};
        job.slot->answer = std::move(answer);
      }
      job.slot->done.notify_all();
      job = {};
      --in_flight;
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<lookup_job> jobs_;
  size_t idle_ = 0;
  size_t threads_ = 0;
};

/// The process's workers. Never destroyed: its threads wait on its members
/// until the process ends.
lookup_workers& workers() {
  static auto* pool = new lookup_workers;
  return *pool;
}

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
    workers().submit({host, port, lookup, slot});
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
