#include "tests/support/servers.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <csignal>
#include <netinet/in.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

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

haproxy::haproxy(const std::filesystem::path& dir, const std::vector<uint16_t>& backends) {
  std::filesystem::create_directories(dir);
  port_ = free_port();
  auto conf = dir / ("haproxy-" + std::to_string(port_) + ".cfg");
  log_ = dir / ("haproxy-" + std::to_string(port_) + ".log");
  std::string text = "global\n  maxconn 4096\n"
                     "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 120s\n"
                     "  timeout server 120s\n  retries 3\n  option redispatch\n"
                     "frontend platform\n  bind 127.0.0.1:"
                     + std::to_string(port_) + "\n  default_backend instances\n"
                     "backend instances\n  balance roundrobin\n";
  for (size_t i = 0; i < backends.size(); ++i)
    text += "  server instance" + std::to_string(i) + " 127.0.0.1:"
            + std::to_string(backends[i]) + " check inter 300ms fall 2 rise 2\n";
  write_file(conf, text);
  // -db: foreground, no daemon; its messages to stderr.
  process_ = std::make_unique<child_process>(
    std::vector<std::string>{"/usr/sbin/haproxy", "-db", "-f", conf.string()}, log_);
  if (!wait_until([&] { return port_accepts(port_); }, std::chrono::seconds{10}))
    throw std::runtime_error("haproxy did not start: " + read_file(log_));
}

std::string haproxy::log() const {
  return read_file(log_);
}

namespace {

/// Starts a test helper script (`argv`) that prints the port it listens on,
/// alone on a line, and waits (with a deadline) until that port accepts.
uint16_t start_printing_port(std::unique_ptr<child_process>& process,
                             const std::vector<std::string>& argv,
                             const std::filesystem::path& out, const std::string& what) {
  process = std::make_unique<child_process>(argv, out);
  uint16_t port = 0;
  if (!wait_until(
        [&] {
          std::istringstream lines{read_file(out)};
          for (std::string line; std::getline(lines, line) && !lines.eof();)
            if (!line.empty() && line.size() <= 5
                && line.find_first_not_of("0123456789") == std::string::npos) {
              port = static_cast<uint16_t>(std::stoul(line));
              return port_accepts(port);
            }
          return false;
        },
        std::chrono::seconds{10}))
    throw std::runtime_error(what + " did not start; see " + out.string());
  return port;
}

} // namespace

throttled_relay::throttled_relay(const std::filesystem::path& dir, uint16_t target_port,
                                 size_t bytes_per_second, size_t down_bytes_per_second) {
  std::filesystem::create_directories(dir);
  static std::atomic<int> started{0};
  auto out = dir / ("relay-" + std::to_string(++started) + "-to-" + std::to_string(target_port)
                    + ".out");
  port_ = start_printing_port(
    process_,
    {"/usr/bin/python3", VIGIL_TEST_SOURCE_DIR "/tests/support/throttled_relay.py",
     std::to_string(target_port), std::to_string(bytes_per_second),
     std::to_string(down_bytes_per_second)},
    out, "the throttled relay");
}

hostile_relay::hostile_relay(const std::filesystem::path& dir,
                             const std::filesystem::path& platform_dir, uint16_t platform_port)
  : control_(dir / "hostile-relay.json"), log_(dir / "hostile-relay.log") {
  std::filesystem::create_directories(dir);
  set(nlohmann::json::object());
  port_ = start_printing_port(
    process_,
    {"/usr/bin/python3", VIGIL_TEST_SOURCE_DIR "/tests/support/hostile_relay.py",
     std::to_string(platform_port), (platform_dir / "server.pem").string(),
     (platform_dir / "server.key").string(), control_.string(), log_.string()},
    dir / "hostile-relay.out", "the hostile relay");
}

std::string hostile_relay::web_service_uri() const {
  return "https://127.0.0.1:" + std::to_string(port_) + "/CloudAgent/";
}

void hostile_relay::set(const nlohmann::json& rules) {
  auto next = control_;
  next += ".next";
  write_file(next, rules.is_null() ? std::string{"{}"} : rules.dump());
  std::filesystem::rename(next, control_);
}

std::string hostile_relay::log() const {
  return read_file(log_);
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
