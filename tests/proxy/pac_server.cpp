#include "tests/proxy/pac_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace vigil::test {

pac_server::pac_server(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd_, 16) != 0)
    throw std::runtime_error("pac_server: cannot listen");
  socklen_t len = sizeof(addr);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread{[this] { serve(); }};
}

pac_server::~pac_server() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

void pac_server::set(const std::string& path, const std::string& body) {
  std::lock_guard guard{mutex_};
  files_[path] = body;
}

std::string pac_server::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void pac_server::serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    int client = ::accept(fd_, nullptr, nullptr);
    if (client < 0)
      continue;
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      pollfd c{client, POLLIN, 0};
      if (::poll(&c, 1, 2000) <= 0)
        break;
      auto n = ::read(client, buf, sizeof(buf));
      if (n <= 0)
        break;
      request.append(buf, static_cast<size_t>(n));
    }
    auto first = request.find(' ');
    auto second = request.find(' ', first + 1);
    std::string path = first == std::string::npos || second == std::string::npos
                         ? std::string{}
                         : request.substr(first + 1, second - first - 1);
    std::string status = "404 Not Found", body;
    {
      std::lock_guard guard{mutex_};
      if (auto i = files_.find(path); i != files_.end()) {
        status = "200 OK";
        body = i->second;
      }
    }
    auto response = "HTTP/1.1 " + status
                    + "\r\nContent-Type: application/x-ns-proxy-autoconfig\r\nContent-Length: "
                    + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    for (size_t sent = 0; sent < response.size();) {
      auto n = ::write(client, response.data() + sent, response.size() - sent);
      if (n <= 0)
        break;
      sent += static_cast<size_t>(n);
    }
    ::close(client);
    ++requests_;
  }
}

} // namespace vigil::test
