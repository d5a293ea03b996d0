// os, network, sysctl, services, listening_ports, users, kernel_modules and
// command over the make_host fixture tree.

#include <csignal>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "tests/scan/scan_fixture.hpp"

using namespace vigil;
using namespace vigil::scan;
using namespace vigil::scan::test;
using nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("os: os-release fields, the running kernel, boot time, uptime on request") {
  vigil::test::temp_dir dir;
  make_host(dir.path());
  auto rows = run_collector(dir.path(), {{"type", "os"}});
  CHECK(row(rows, "os/release").value() == json{{"ID", "debian"},
                                                 {"NAME", "Debian GNU/Linux"},
                                                 {"PRETTY_NAME", "Debian GNU/Linux 12 (bookworm)"},
                                                 {"VERSION_CODENAME", "bookworm"},
                                                 {"VERSION_ID", "12"}});
  utsname u{};
  REQUIRE(::uname(&u) == 0);
  CHECK(row(rows, "os/kernel")->at("release") == u.release);
  CHECK(row(rows, "os/kernel")->at("arch") == u.machine);
  CHECK(row(rows, "os/boot").value() == json{{"boot_time", 1700000000}});
  CHECK(!row(rows, "os/uptime")); // changes every second: opt-in
  auto with_uptime = run_collector(dir.path(), {{"type", "os"}, {"uptime", true}});
  CHECK(row(with_uptime, "os/uptime").value() == json{{"seconds", 12345}});

  vigil::test::temp_dir empty;
  auto bare = run_collector(empty.path(), {{"type", "os"}, {"uptime", true}});
  CHECK(row(bare, "os/release")->at("error")
        == "not_found: /usr/lib/os-release: No such file or directory");
  CHECK(row(bare, "os/uptime")->contains("error"));
  CHECK(row(bare, "os/kernel").has_value());
}

TEST_CASE("network: hostname and FQDN, DNS, interfaces from the root's /sys") {
  vigil::test::temp_dir dir;
  make_host(dir.path());
  auto rows = run_collector(dir.path(), {{"type", "network"}});
  CHECK(row(rows, "network/hostname").value()
        == json{{"hostname", "web01"}, {"fqdn", "web01.example.com"}});
  CHECK(row(rows, "network/dns").value()
        == json{{"nameservers", {"10.0.0.2", "10.0.0.3"}}, {"search", {"example.com", "corp.example"}}});
  CHECK(row(rows, "network/interface/eth0").value()
        == json{{"mac", "52:54:00:12:34:56"}, {"operstate", "up"}, {"mtu", 1500}});
  // Not the host root: the kernel's addresses describe another system.
  CHECK(!row(rows, "network/interface/lo")->contains("ipv4"));
  CHECK(count_prefix(rows, "network/interface/") == 2);
}

TEST_CASE("network: on the host root, addresses come from getifaddrs") {
  auto rows = run_collector("/", {{"type", "network"}});
  auto lo = row(rows, "network/interface/lo");
  REQUIRE(lo.has_value());
  REQUIRE(lo->contains("ipv4"));
  CHECK(lo->at("ipv4") == json::array({"127.0.0.1/8"}));
}

TEST_CASE("sysctl: named keys, prefixes, missing keys; volatile and write-only skipped") {
  vigil::test::temp_dir dir;
  make_host(dir.path());
  auto rows = run_collector(dir.path(), {{"type", "sysctl"},
                                         {"keys", {"net.ipv4.ip_forward", "net.ipv4.nonexistent"}},
                                         {"prefix", {"kernel", "vm", "net.ipv4.tcp_rmem"}}});
  CHECK(row(rows, "sysctl/net.ipv4.ip_forward").value() == json{{"value", "0"}});
  CHECK(row(rows, "sysctl/net.ipv4.nonexistent")->at("error")
        == "not_found: /proc/sys/net/ipv4/nonexistent: No such file or directory");
  CHECK(row(rows, "sysctl/kernel.randomize_va_space").value() == json{{"value", "2"}});
  CHECK(row(rows, "sysctl/net.ipv4.tcp_rmem").value() == json{{"value", "4096 131072 6291456"}});
  CHECK(!row(rows, "sysctl/kernel.random.uuid"));
  CHECK(!row(rows, "sysctl/vm.drop_caches"));
  CHECK(rows.size() == 4);
  // Named explicitly, a volatile key is collected.
  auto uuid = run_collector(dir.path(), {{"type", "sysctl"}, {"keys", "kernel.random.uuid"}});
  CHECK(row(uuid, "sysctl/kernel.random.uuid").has_value());
  auto missing_prefix = run_collector(dir.path(), {{"type", "sysctl"}, {"prefix", "fs.nope"}});
  CHECK(row(missing_prefix, "sysctl/fs.nope")->contains("error"));
}

TEST_CASE("services: systemd states from unit files and .wants links; SysV runlevels") {
  vigil::test::temp_dir dir;
  make_host(dir.path());
  auto rows = run_collector(dir.path(), {{"type", "services"}});
  auto ssh = row(rows, "services/ssh.service").value();
  CHECK(ssh == json{{"manager", "systemd"},
                    {"state", "enabled"},
                    {"path", "/lib/systemd/system/ssh.service"},
                    {"description", "OpenBSD Secure Shell server"},
                    {"wanted_by", json::array({"multi-user.target"})}});
  CHECK(row(rows, "services/cups.service")->at("state") == "disabled");
  CHECK(row(rows, "services/systemd-journald.service")->at("state") == "static");
  CHECK(row(rows, "services/telnet.service").value()
        == json{{"manager", "systemd"}, {"state", "masked"}});
  CHECK(!row(rows, "services/getty@.service"));
  auto getty = row(rows, "services/getty@tty1.service").value();
  CHECK(getty["state"] == "enabled");
  CHECK(getty["template"] == "getty@.service");
  CHECK(row(rows, "services/sysv/ssh").value()
        == json{{"manager", "sysv"}, {"runlevels", json::array({"2"})}, {"state", "enabled"}});
  CHECK(!row(rows, "services/sysv/README"));
  CHECK(rows.size() == 6);

  vigil::test::temp_dir empty;
  auto none = run_collector(empty.path(), {{"type", "services"}});
  REQUIRE(none.size() == 1);
  CHECK(none[0].key == "error/services/none");
}

TEST_CASE("listening_ports: LISTEN tcp and unconnected udp sockets from fixture tables") {
  vigil::test::temp_dir dir;
  make_host(dir.path());
  vigil::test::write_file(dir / "proc/net/udp6", "header\n   0: not-a-socket-line\n");
  auto rows = run_collector(dir.path(), {{"type", "listening_ports"}});
  CHECK(row(rows, "listening_ports/tcp/0.0.0.0:22").value()
        == json{{"address", "0.0.0.0"}, {"port", 22}, {"protocol", "tcp"}, {"uid", 0}});
  CHECK(row(rows, "listening_ports/tcp6/[::]:22")->at("protocol") == "tcp6");
  CHECK(row(rows, "listening_ports/udp/0.0.0.0:68").has_value());
  CHECK(!row(rows, "listening_ports/tcp/10.0.2.15:22")); // established, not listening
  CHECK(row(rows, "error/listening_ports/udp6:2")->at("error")
        == "parse_error: /proc/net/udp6: line 2 is malformed");
  CHECK(rows.size() == 4);
}

TEST_CASE("users: accounts, groups and password states without any hash") {
  vigil::test::temp_dir dir;
  make_host(dir.path());
  vigil::test::write_file(dir / "etc/passwd",
                          vigil::test::read_file(dir / "etc/passwd") + "not a passwd line\n");
  auto rows = run_collector(dir.path(), {{"type", "users"}});
  CHECK(row(rows, "users/alice").value() == json{{"uid", 1000},
                                                 {"gid", 1000},
                                                 {"group", "alice"},
                                                 {"groups", json::array({"sudo"})},
                                                 {"gecos", "Alice,,,"},
                                                 {"home", "/home/alice"},
                                                 {"shell", "/bin/bash"},
                                                 {"password", "has-password"}});
  CHECK(row(rows, "users/daemon")->at("password") == "locked");
  CHECK(row(rows, "users/guest")->at("password") == "no-password");
  CHECK(row(rows, "groups/sudo").value() == json{{"gid", 27}, {"members", json::array({"alice"})}});
  CHECK(row(rows, "error/users/passwd:5").has_value());
  for (const auto& r : rows) {
    CHECK(r.value.find("HASH") == std::string::npos);
    CHECK(r.value.find("SALT") == std::string::npos);
    CHECK(r.value.find('$') == std::string::npos);
  }
  // Without a readable shadow (a FIFO there must not block) the state is unknown.
  std::filesystem::remove(dir / "etc/shadow");
  REQUIRE(::mkfifo((dir / "etc/shadow").c_str(), 0600) == 0);
  auto unknown = run_collector(dir.path(), {{"type", "users"}});
  CHECK(row(unknown, "users/root")->at("password") == "unknown");
}

TEST_CASE("kernel_modules: size, state, users and taint; refcount left out") {
  vigil::test::temp_dir dir;
  make_host(dir.path());
  auto rows = run_collector(dir.path(), {{"type", "kernel_modules"}});
  REQUIRE(rows.size() == 3);
  CHECK(row(rows, "kernel_modules/nf_tables").value()
        == json{{"size", 319488}, {"state", "Live"}, {"used_by", {"nft_chain_nat", "nft_compat"}}});
  CHECK(row(rows, "kernel_modules/nft_compat")->at("used_by") == json::array());
  CHECK(row(rows, "kernel_modules/vboxdrv")->at("taint") == "OE");
  vigil::test::temp_dir empty;
  auto none = run_collector(empty.path(), {{"type", "kernel_modules"}});
  REQUIRE(none.size() == 1);
  CHECK(none[0].key == "error/kernel_modules/proc");
}

TEST_CASE("command: output and exit code; timeout and flood limits hold") {
  vigil::test::temp_dir dir;
  auto rows = run_collector(dir.path(), {{"type", "command"}, {"argv", {"/bin/echo", "hi"}}});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].key == "command//bin/echo hi");
  CHECK(rows[0].value
        == R"({"argv":["/bin/echo","hi"],"exit_code":0,"output":"hi\n","timed_out":false,"truncated":false})");

  auto start = std::chrono::steady_clock::now();
  auto slow = run_collector(dir.path(), {{"type", "command"},
                                         {"name", "sleeper"},
                                         {"argv", {"/bin/sleep", "5"}},
                                         {"timeout_ms", 200}});
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  auto sleeper = row(slow, "command/sleeper").value();
  CHECK(sleeper["timed_out"] == true);
  CHECK(sleeper["signal"] == SIGKILL);
  CHECK(!sleeper.contains("exit_code"));

  // The context's limits are ceilings: a manifest cannot lift them.
  auto flood = run_collector(dir.path(),
                             {{"type", "command"}, {"argv", json::array({"/usr/bin/yes"})},
                              {"output_limit", 1 << 30}, {"timeout_ms", 600000}},
                             500ms, 64 * 1024);
  auto yes = row(flood, "command//usr/bin/yes").value();
  CHECK(yes["truncated"] == true);
  CHECK(yes["timed_out"] == true);
  CHECK(yes["output"].get<std::string>().size() == 64 * 1024);

  auto missing = run_collector(dir.path(), {{"type", "command"}, {"argv", json::array({"/no/such"})}});
  CHECK(row(missing, "command//no/such")->at("error").get<std::string>().rfind("not_found", 0) == 0);
}
