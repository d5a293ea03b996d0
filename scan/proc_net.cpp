#include "scan/proc_net.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <netinet/in.h>

namespace vigil::scan {

namespace {

/// The whitespace-separated fields of `line`.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    auto start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t')
      ++i;
    if (i > start)
      out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <class T>
bool parse_hex(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return ec == std::errc{} && end == text.data() + text.size();
}

/// Decodes "0100007F:0016" into address text and port; false when malformed.
bool parse_endpoint(std::string_view text, bool ipv6, std::string& address, uint16_t& port,
                    bool& any) {
  auto colon = text.find(':');
  size_t digits = ipv6 ? 32 : 8;
  if (colon != digits || !parse_hex(text.substr(colon + 1), port))
    return false;
  unsigned char bytes[16] = {};
  for (size_t word = 0; word < digits / 8; ++word) {
    uint32_t value = 0;
    if (!parse_hex(text.substr(word * 8, 8), value))
      return false;
    std::memcpy(bytes + word * 4, &value, 4);
  }
  char buffer[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes, buffer, sizeof(buffer));
  address = buffer;
  any = port == 0;
  for (size_t i = 0; i < digits / 2; ++i)
    any = any && bytes[i] == 0;
  return true;
}

} // namespace

socket_table parse_proc_net(std::string_view text, bool ipv6) {
  socket_table out;
  size_t number = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    auto f = fields(line);
    if (number == 1 || f.empty())
      continue; // header ("sl local_address rem_address st ...") or blank
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    socket_entry entry;
    std::string remote;
    uint16_t remote_port = 0;
    bool local_any = false;
    bool ok = f.size() >= 10 && f[0].size() > 1 && f[0].back() == ':'
              && parse_endpoint(f[1], ipv6, entry.address, entry.port, local_any)
              && parse_endpoint(f[2], ipv6, remote, remote_port, entry.remote_any)
              && parse_hex(f[3], entry.state);
    if (ok) {
      auto [p, ec] = std::from_chars(f[7].data(), f[7].data() + f[7].size(), entry.uid);
      ok = ec == std::errc{} && p == f[7].data() + f[7].size();
    }
    if (ok)
      out.sockets.push_back(std::move(entry));
    else
      out.bad_lines.push_back(number);
  }
  return out;
}

bool is_listening(const socket_entry& entry, std::string_view protocol) noexcept {
  if (protocol.substr(0, 3) == "tcp")
    return entry.state == tcp_listen;
  return entry.remote_any;
}

} // namespace vigil::scan
