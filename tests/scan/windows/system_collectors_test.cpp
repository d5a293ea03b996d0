// The Windows collectors that read the live system (scan/windows: network,
// services, listening_ports, users), run where the tests run (Wine in CI):
// each returns rows without error rows, and each shows one fact the test
// itself knows — a socket it opened, a service it created, its own user.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "scan/collector.hpp"
#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::scan;
using nlohmann::json;

namespace {

/// The finalized rows of a collector of `type` (the root and HKLM stand-in
/// are unused by these collectors but required by `collect`).
snapshot run(const std::string& type) {
  test::temp_dir dir;
  test::temp_mount hklm;
  paths p{dir.path()};
  collect_context ctx;
  ctx.root_paths = &p;
  ctx.machine_registry = hklm.mount();
  snapshot rows;
  json spec{{"type", type}};
  REQUIRE(collect(protocol::collector{type, spec}, ctx, rows));
  finalize(rows);
  return rows;
}

std::optional<json> row(const snapshot& rows, const std::string& key) {
  for (const auto& r : rows)
    if (r.key == key)
      return json::parse(r.value);
  return std::nullopt;
}

/// No row of `rows` says "error" (shown when one does).
void check_no_errors(const snapshot& rows) {
  for (const auto& r : rows) {
    CAPTURE(r.key);
    CAPTURE(r.value);
    CHECK(r.key.rfind("error/", 0) != 0);
    CHECK(!json::parse(r.value).contains("error"));
  }
}

std::string narrow(const std::wstring& text) {
  int size = ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()),
                                   nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(size), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), size,
                        nullptr, nullptr);
  return out;
}

/// Winsock for the duration of a test.
struct winsock {
  winsock() {
    WSADATA data{};
    REQUIRE(::WSAStartup(MAKEWORD(2, 2), &data) == 0);
  }
  ~winsock() { ::WSACleanup(); }
};

/// A socket of `type` bound to 127.0.0.1 on a port the system picks
/// (listening when TCP), closed on destruction.
struct loopback_socket {
  SOCKET s = INVALID_SOCKET;
  uint16_t port = 0;
  explicit loopback_socket(int type) {
    s = ::socket(AF_INET, type, type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
    REQUIRE(s != INVALID_SOCKET);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = ::htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    if (type == SOCK_STREAM)
      REQUIRE(::listen(s, 4) == 0);
    int size = sizeof(address);
    REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    port = ::ntohs(address.sin_port);
  }
  ~loopback_socket() { ::closesocket(s); }
};

/// A demand-start service of a unique name, deleted on destruction.
struct temp_service {
  SC_HANDLE scm = nullptr;
  SC_HANDLE service = nullptr;
  std::wstring name = L"VigilScanTest" + std::to_wstring(::GetCurrentProcessId());
  temp_service() {
    scm = ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE);
    REQUIRE(scm != nullptr);
    service = ::CreateServiceW(scm, name.c_str(), L"Vigil scan test", SERVICE_ALL_ACCESS,
                               SERVICE_WIN32_OWN_PROCESS, SERVICE_DEMAND_START,
                               SERVICE_ERROR_IGNORE, L"C:\\windows\\system32\\notepad.exe -x",
                               nullptr, nullptr, nullptr, nullptr, nullptr);
    REQUIRE_MESSAGE(service != nullptr, "CreateServiceW: " << ::GetLastError());
  }
  ~temp_service() {
    if (service != nullptr) {
      ::DeleteService(service);
      ::CloseServiceHandle(service);
    }
    if (scm != nullptr)
      ::CloseServiceHandle(scm);
  }
};

/// Whether this process runs under Wine rather than Windows.
bool under_wine() {
  return ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
}

} // namespace

TEST_CASE("listening_ports (Windows): a TCP listener and a UDP socket of this process") {
  winsock ws;
  loopback_socket tcp{SOCK_STREAM};
  loopback_socket udp{SOCK_DGRAM};
  auto rows = run("listening_ports");
  check_no_errors(rows);
  auto listener = row(rows, "listening_ports/tcp/127.0.0.1:" + std::to_string(tcp.port));
  REQUIRE(listener);
  CHECK((*listener)["address"] == "127.0.0.1");
  CHECK((*listener)["port"] == tcp.port);
  CHECK((*listener)["protocol"] == "tcp");
  auto bound = row(rows, "listening_ports/udp/127.0.0.1:" + std::to_string(udp.port));
  REQUIRE(bound);
  CHECK((*bound)["protocol"] == "udp");
  if (under_wine()) {
    // Wine 8's GetExtendedTcpTable/GetExtendedUdpTable name no owner: pid 0,
    // and so no process. Windows names this process.
    MESSAGE("under Wine: socket owner pid " << (*listener)["pid"]);
    CHECK((*listener)["pid"] == 0);
  } else {
    CHECK((*listener)["pid"] == ::GetCurrentProcessId());
    CHECK((*listener)["process"] == "scan_windows_test.exe");
    CHECK((*bound)["pid"] == ::GetCurrentProcessId());
  }
  // Every row is keyed by protocol, address and port, as on Linux.
  for (const auto& r : rows) {
    auto v = json::parse(r.value);
    auto address = v["address"].get<std::string>();
    auto protocol = v["protocol"].get<std::string>();
    auto shown = protocol.ends_with('6') ? "[" + address + "]" : address;
    CHECK(r.key == "listening_ports/" + protocol + "/" + shown + ":"
                     + std::to_string(v["port"].get<unsigned>()));
  }
  // Closed: gone at the next scan.
  auto port = tcp.port;
  ::closesocket(tcp.s);
  tcp.s = INVALID_SOCKET;
  CHECK(!row(run("listening_ports"), "listening_ports/tcp/127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("services (Windows): a service the test creates, and the system's own") {
  temp_service created;
  auto rows = run("services");
  check_no_errors(rows);
  auto mine = row(rows, "services/" + narrow(created.name));
  REQUIRE(mine);
  CHECK(*mine == json{{"manager", "scm"},
                      {"display_name", "Vigil scan test"},
                      {"state", "manual"},
                      {"start_type", "demand"},
                      {"status", "stopped"},
                      {"path", "C:\\windows\\system32\\notepad.exe -x"},
                      {"account", "LocalSystem"}});
  // Disabled: the row says so at the next scan.
  REQUIRE(::ChangeServiceConfigW(created.service, SERVICE_NO_CHANGE, SERVICE_DISABLED,
                                 SERVICE_NO_CHANGE, nullptr, nullptr, nullptr, nullptr, nullptr,
                                 nullptr, nullptr));
  auto disabled = row(run("services"), "services/" + narrow(created.name)).value();
  CHECK(disabled["state"] == "disabled");
  CHECK(disabled["start_type"] == "disabled");
  // The RPC service every Windows (and Wine prefix) has.
  auto rpc = row(rows, "services/RpcSs");
  REQUIRE(rpc);
  CHECK((*rpc)["manager"] == "scm");
  CHECK((*rpc)["state"].is_string());
}

TEST_CASE("users (Windows): the account the test runs as") {
  wchar_t name[256] = {};
  DWORD size = 256;
  REQUIRE(::GetUserNameW(name, &size));
  auto rows = run("users");
  check_no_errors(rows);
  auto me = row(rows, "users/" + narrow(name));
  REQUIRE(me);
  CHECK((*me)["disabled"] == false);
  CHECK((*me)["privilege"].is_string());
  CHECK((*me)["groups"].is_array());
  for (const auto& r : rows)
    CHECK((r.key.rfind("users/", 0) == 0 || r.key.rfind("groups/", 0) == 0));
}

TEST_CASE("network (Windows): the host name, DNS and the interfaces") {
  auto rows = run("network");
  check_no_errors(rows);
  wchar_t name[256] = {};
  DWORD size = 256;
  REQUIRE(::GetComputerNameExW(ComputerNameDnsHostname, name, &size));
  auto host = row(rows, "network/hostname");
  REQUIRE(host);
  CHECK((*host)["hostname"] == narrow(name));
  auto dns = row(rows, "network/dns");
  REQUIRE(dns);
  CHECK((*dns)["nameservers"].is_array());
  CHECK((*dns)["search"].is_array());
  size_t interfaces = 0;
  bool loopback = false;
  for (const auto& r : rows) {
    if (r.key.rfind("network/interface/", 0) != 0)
      continue;
    ++interfaces;
    auto v = json::parse(r.value);
    MESSAGE(r.key << " " << r.value);
    CHECK(v["operstate"].is_string());
    CHECK(v["mtu"].is_number_unsigned());
    for (const auto& address : v.value("ipv4", json::array()))
      loopback = loopback || address == "127.0.0.1/8";
    if (v.contains("mac"))
      CHECK(v["mac"].get<std::string>().size() == 17);
  }
  CHECK(interfaces >= 1);
  CHECK(loopback);
}
