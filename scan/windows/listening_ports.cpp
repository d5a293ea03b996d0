// The `listening_ports` collector on Windows: sockets waiting for peers, from
// the IP Helper API's owner tables (GetExtendedTcpTable, GetExtendedUdpTable).
//
//   listening_ports/<proto>/<address>:<port>  {"address", "port", "protocol", "pid",
//                                              "process"?, "path"?}
//       e.g. listening_ports/tcp/0.0.0.0:135, listening_ports/tcp6/[::]:445
//   error/listening_ports/<proto>             {"error"}  a table that cannot be read
//
// Keys and the first members are those of the Linux collector
// (collectors/listening_ports.cpp), so one rule reads both; Windows names the
// owning process instead of a uid: "pid", and, when OpenProcess allows
// (PROCESS_QUERY_LIMITED_INFORMATION: not for System and protected
// processes), its image file name ("svchost.exe") and full path.
// TCP sockets count in state LISTEN; every UDP endpoint counts (the UDP table
// lists only bound local endpoints, not whether they are connected). Several
// processes may hold one endpoint (SO_REUSEADDR): its one row names the
// lowest pid, so the row does not depend on the table's order.

// winsock2.h before windows.h (iphlpapi.h needs both).
#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>
#include <windows.h>

#include <map>

#include "common/error.hpp"
#include "host/windows/wide.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

/// One listening endpoint as the tables give it.
struct endpoint {
  std::string address;
  uint16_t port = 0;
  DWORD pid = 0;
};

/// The table of `protocol` ("tcp", "tcp6", "udp", "udp6") into `out`, or the
/// error of the call. The table may grow between the size query and the call:
/// a few tries.
caf::expected<void> read_table(std::string_view protocol, std::vector<endpoint>& out) {
  bool tcp = protocol.starts_with("tcp");
  ULONG family = protocol.ends_with('6') ? AF_INET6 : AF_INET;
  std::vector<unsigned char> buffer(16 * 1024);
  DWORD rc = ERROR_INSUFFICIENT_BUFFER;
  for (int attempt = 0; attempt < 4 && rc == ERROR_INSUFFICIENT_BUFFER; ++attempt) {
    auto size = static_cast<DWORD>(buffer.size());
    rc = tcp ? ::GetExtendedTcpTable(buffer.data(), &size, FALSE, family,
                                     TCP_TABLE_OWNER_PID_LISTENER, 0)
             : ::GetExtendedUdpTable(buffer.data(), &size, FALSE, family, UDP_TABLE_OWNER_PID, 0);
    if (rc == ERROR_INSUFFICIENT_BUFFER)
      buffer.resize(size + 4096);
  }
  if (rc != NO_ERROR)
    return win::error_from(rc, tcp ? "GetExtendedTcpTable" : "GetExtendedUdpTable");
  auto text = [&](const void* addr) {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(static_cast<int>(family), addr, buf, sizeof(buf));
    return std::string{buf};
  };
  auto port = [](DWORD network_order) { return ::ntohs(static_cast<u_short>(network_order)); };
  auto add_all = [&](const auto* table) {
    for (DWORD i = 0; i < table->dwNumEntries; ++i) {
      const auto& row = table->table[i];
      if constexpr (requires { row.dwLocalAddr; })
        out.push_back({text(&row.dwLocalAddr), port(row.dwLocalPort), row.dwOwningPid});
      else
        out.push_back({text(row.ucLocalAddr), port(row.dwLocalPort), row.dwOwningPid});
    }
  };
  if (protocol == "tcp")
    add_all(reinterpret_cast<const MIB_TCPTABLE_OWNER_PID*>(buffer.data()));
  else if (protocol == "tcp6")
    add_all(reinterpret_cast<const MIB_TCP6TABLE_OWNER_PID*>(buffer.data()));
  else if (protocol == "udp")
    add_all(reinterpret_cast<const MIB_UDPTABLE_OWNER_PID*>(buffer.data()));
  else
    add_all(reinterpret_cast<const MIB_UDP6TABLE_OWNER_PID*>(buffer.data()));
  return {};
}

/// The full path of process `pid`'s image, or nothing when it cannot be opened.
std::optional<std::string> image_path(DWORD pid) {
  if (pid == 0)
    return std::nullopt;
  win::unique_handle process{::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid)};
  if (!process)
    return std::nullopt;
  std::wstring path(32 * 1024, L'\0');
  auto size = static_cast<DWORD>(path.size());
  if (!::QueryFullProcessImageNameW(process.get(), 0, path.data(), &size))
    return std::nullopt;
  path.resize(size);
  return win::narrow(path);
}

} // namespace

caf::expected<void> collect_listening_ports(const collector_call& call) {
  // One scan asks for each owner once.
  std::map<DWORD, std::optional<std::string>> images;
  for (std::string protocol : {"tcp", "tcp6", "udp", "udp6"}) {
    std::vector<endpoint> endpoints;
    if (auto ok = read_table(protocol, endpoints); !ok) {
      call.add_error("error/listening_ports/" + protocol, ok.error());
      continue;
    }
    std::map<std::string, endpoint> rows; // key -> the endpoint with the lowest pid
    for (auto& e : endpoints) {
      auto key = "listening_ports/" + protocol + "/"
                 + (protocol.ends_with('6') ? "[" + e.address + "]" : e.address) + ":"
                 + std::to_string(e.port);
      auto [it, fresh] = rows.try_emplace(std::move(key), e);
      if (!fresh && e.pid < it->second.pid)
        it->second = e;
    }
    for (const auto& [key, e] : rows) {
      nlohmann::json value{{"address", e.address},
                           {"port", e.port},
                           {"protocol", protocol},
                           {"pid", e.pid}};
      auto image = images.find(e.pid);
      if (image == images.end())
        image = images.emplace(e.pid, image_path(e.pid)).first;
      if (image->second) {
        const auto& path = *image->second;
        value["path"] = path;
        value["process"] = path.substr(path.find_last_of("\\/") + 1);
      }
      call.add(key, value);
    }
    call.pace();
  }
  return {};
}

} // namespace vigil::scan::detail
