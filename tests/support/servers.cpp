#include "tests/support/servers.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <csignal>
#include <netinet/in.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/temp_dir.hpp"
#include "vigil_test_config.hpp"

namespace vigil::test {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

tinyproxy::tinyproxy(const std::filesystem::path& dir, const std::string& user,
                     const std::string& password) {
  std::filesystem::create_directories(dir);
  port_ = free_port();
  auto conf = dir / ("tinyproxy-" + std::to_string(port_) + ".conf");
  log_ = dir / ("tinyproxy-" + std::to_string(port_) + ".log");
  std::string text = "Port " + std::to_string(port_)
                     + "\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\nLogLevel Connect\n";
  if (!user.empty())
    text += "BasicAuth " + user + " " + password + "\n";
  write_file(conf, text);
  process_ = std::make_unique<child_process>(
    std::vector<std::string>{"/usr/bin/tinyproxy", "-d", "-c", conf.string()}, log_);
  if (!wait_until([&] { return port_accepts(port_); }, std::chrono::seconds{10}))
    throw std::runtime_error("tinyproxy did not start; see " + log_.string());
}

std::string tinyproxy::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void tinyproxy::kill() {
  process_->signal(SIGKILL);
  process_->wait();
}

std::string tinyproxy::log() const {
  return read_file(log_);
}

throttled_relay::throttled_relay(const std::filesystem::path& dir, uint16_t target_port,
                                 size_t bytes_per_second, size_t down_bytes_per_second) {
  std::filesystem::create_directories(dir);
  static std::atomic<int> started{0};
  auto out = dir / ("relay-" + std::to_string(++started) + "-to-" + std::to_string(target_port)
                    + ".out");
  process_ = std::make_unique<child_process>(
    std::vector<std::string>{"/usr/bin/python3",
                             VIGIL_TEST_SOURCE_DIR "/tests/support/throttled_relay.py",
                             std::to_string(target_port), std::to_string(bytes_per_second),
                             std::to_string(down_bytes_per_second)},
    out);
  // It prints its port, alone on a line, once listening.
  if (!wait_until(
        [&] {
          std::istringstream lines{read_file(out)};
          for (std::string line; std::getline(lines, line) && !lines.eof();)
            if (!line.empty() && line.size() <= 5
                && line.find_first_not_of("0123456789") == std::string::npos) {
              port_ = static_cast<uint16_t>(std::stoul(line));
              return port_accepts(port_);
            }
          return false;
        },
        std::chrono::seconds{10}))
    throw std::runtime_error("the throttled relay did not start; see " + out.string());
}

openssl_server::openssl_server(const std::filesystem::path& cert, const std::filesystem::path& key,
                               const std::vector<std::string>& extra,
                               const std::filesystem::path& log) {
  port_ = free_port();
  std::vector<std::string> argv{"/usr/bin/openssl", "s_server",  "-accept",
                                "127.0.0.1:" + std::to_string(port_), "-cert", cert.string(),
                                "-key",           key.string(), "-www", "-quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<child_process>(argv, log);
  if (!wait_until([&] { return port_accepts(port_); }, std::chrono::seconds{10}))
    throw std::runtime_error("openssl s_server did not start");
}

} // namespace vigil::test
