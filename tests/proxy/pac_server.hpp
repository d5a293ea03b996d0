#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace vigil::test {

/// A plain-HTTP file server on 127.0.0.1 (`port`; 0: any, reported): serves
/// the text set for each path with 200, anything else with 404. For PAC files.
class pac_server {
public:
  explicit pac_server(uint16_t port = 0);
  ~pac_server();
  pac_server(const pac_server&) = delete;
  pac_server& operator=(const pac_server&) = delete;

  /// Serves `body` at `path` ("/agent.pac") from now on.
  void set(const std::string& path, const std::string& body);
  /// "http://127.0.0.1:PORT" + path.
  std::string url(const std::string& path) const;
  /// How many requests were answered.
  int requests() const noexcept { return requests_; }

private:
  void serve();

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::map<std::string, std::string> files_;
  std::thread thread_;
};

} // namespace vigil::test
