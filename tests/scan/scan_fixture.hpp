#pragma once

// Shared by the collector tests: run one collector over a fixture root and
// look at its rows.

#include <chrono>
#include <optional>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "host/paths.hpp"
#include "scan/collector.hpp"
#include "scan/snapshot.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::scan::test {

/// The finalized rows of the collector `spec` (its "type" names it) run
/// under `root`.
inline snapshot run_collector(const std::filesystem::path& root, const nlohmann::json& spec,
                              std::chrono::milliseconds command_timeout = std::chrono::seconds{10},
                              size_t output_cap = 1024 * 1024) {
  paths p{root};
  collect_context ctx{&p, command_timeout, output_cap, {}, {}};
  protocol::collector c{spec.value("type", std::string{}), spec};
  snapshot rows;
  auto ok = collect(c, ctx, rows);
  REQUIRE(ok);
  finalize(rows);
  return rows;
}

/// The parsed value of the row `key`, or nothing.
inline std::optional<nlohmann::json> row(const snapshot& rows, const std::string& key) {
  for (const auto& r : rows)
    if (r.key == key)
      return nlohmann::json::parse(r.value);
  return std::nullopt;
}

/// How many rows have keys starting with `prefix`.
inline size_t count_prefix(const snapshot& rows, const std::string& prefix) {
  size_t n = 0;
  for (const auto& r : rows)
    n += r.key.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

} // namespace vigil::scan::test

namespace vigil::scan::test {

/// Writes a small Debian-like host under `root`: os-release, hostname, hosts,
/// resolv.conf, two interfaces, a dpkg status file, sysctls, systemd units
/// and an init script, socket tables, accounts and loaded modules.
inline void make_host(const std::filesystem::path& root) {
  using vigil::test::write_file;
  namespace fs = std::filesystem;
  write_file(root / "etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
                                      "NAME=\"Debian GNU/Linux\"\n"
                                      "VERSION_ID=\"12\"\n"
                                      "VERSION_CODENAME=bookworm\n"
                                      "ID=debian\n"
                                      "HOME_URL=\"https://www.debian.org/\"\n");
  write_file(root / "etc/hostname", "web01\n");
  write_file(root / "etc/hosts", "127.0.0.1 localhost\n10.0.2.15 web01.example.com web01\n");
  write_file(root / "etc/resolv.conf",
             "# generated\nsearch example.com corp.example\nnameserver 10.0.0.2\n"
             "nameserver 10.0.0.3\n");
  write_file(root / "sys/class/net/eth0/address", "52:54:00:12:34:56\n");
  write_file(root / "sys/class/net/eth0/operstate", "up\n");
  write_file(root / "sys/class/net/eth0/mtu", "1500\n");
  write_file(root / "sys/class/net/lo/address", "00:00:00:00:00:00\n");
  write_file(root / "sys/class/net/lo/operstate", "unknown\n");
  write_file(root / "proc/stat", "cpu  1 2 3\nbtime 1700000000\nprocesses 42\n");
  write_file(root / "proc/uptime", "12345.67 23456.78\n");
  write_file(root / "var/lib/dpkg/status", "Package: openssl\n"
                                           "Status: install ok installed\n"
                                           "Architecture: amd64\n"
                                           "Version: 3.0.11-1~deb12u2\n"
                                           "\n"
                                           "Package: bash\n"
                                           "Status: install ok installed\n"
                                           "Architecture: amd64\n"
                                           "Version: 5.2.15-2+b2\n");
  write_file(root / "proc/sys/net/ipv4/ip_forward", "0\n");
  write_file(root / "proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n");
  write_file(root / "proc/sys/kernel/randomize_va_space", "2\n");
  write_file(root / "proc/sys/kernel/random/uuid", "2f1e9c4e-0000-4000-8000-000000000000\n");
  write_file(root / "proc/sys/vm/drop_caches", "0\n");
  fs::permissions(root / "proc/sys/vm/drop_caches", fs::perms::owner_write);
  write_file(root / "lib/systemd/system/ssh.service",
             "[Unit]\nDescription=OpenBSD Secure Shell server\n[Service]\nExecStart=/usr/sbin/sshd\n"
             "[Install]\nWantedBy=multi-user.target\n");
  write_file(root / "lib/systemd/system/cups.service",
             "[Unit]\nDescription=CUPS Scheduler\n[Install]\nWantedBy=multi-user.target\n");
  write_file(root / "lib/systemd/system/systemd-journald.service",
             "[Unit]\nDescription=Journal Service\n[Service]\nType=notify\n");
  write_file(root / "lib/systemd/system/telnet.service", "[Unit]\nDescription=Telnet\n[Install]\n");
  write_file(root / "lib/systemd/system/getty@.service",
             "[Unit]\nDescription=Getty on %I\n[Install]\nWantedBy=getty.target\n");
  fs::create_directories(root / "etc/systemd/system/multi-user.target.wants");
  fs::create_directories(root / "etc/systemd/system/getty.target.wants");
  fs::create_symlink("/lib/systemd/system/ssh.service",
                     root / "etc/systemd/system/multi-user.target.wants/ssh.service");
  fs::create_symlink("/lib/systemd/system/getty@.service",
                     root / "etc/systemd/system/getty.target.wants/getty@tty1.service");
  fs::create_symlink("/dev/null", root / "etc/systemd/system/telnet.service");
  write_file(root / "etc/init.d/ssh", "#!/bin/sh\n");
  write_file(root / "etc/init.d/README", "not a script\n");
  fs::create_directories(root / "etc/rc2.d");
  fs::create_symlink("../init.d/ssh", root / "etc/rc2.d/S01ssh");
  write_file(root / "proc/net/tcp",
             "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
             "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11 1 0\n"
             "   1: 0F02000A:0016 0202000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 12 1 0\n");
  write_file(root / "proc/net/tcp6",
             "  sl  local_address                         remote_address                        st\n"
             "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A "
             "00000000:00000000 00:00000000 00000000     0        0 13 1 0\n");
  write_file(root / "proc/net/udp",
             "   sl  local_address rem_address   st\n"
             "  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 14 2 0 0\n");
  write_file(root / "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
                                  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                  "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
                                  "guest:x:1001:1001::/home/guest:/bin/sh\n");
  write_file(root / "etc/group", "root:x:0:\ndaemon:x:1:\nsudo:x:27:alice\nalice:x:1000:\n"
                                 "guest:x:1001:\n");
  write_file(root / "etc/shadow", "root:$y$j9T$SECRETSALT$SECRETHASH:19000:0:99999:7:::\n"
                                  "daemon:*:19000:0:99999:7:::\n"
                                  "alice:$6$SALT$ALICEHASH:19000:0:99999:7:::\n"
                                  "guest::19000:0:99999:7:::\n");
  write_file(root / "proc/modules",
             "nf_tables 319488 5 nft_chain_nat,nft_compat, Live 0x0000000000000000\n"
             "nft_compat 20480 2 - Live 0x0000000000000000\n"
             "vboxdrv 696320 2 vboxnetadp,vboxnetflt, Live 0x0000000000000000 (OE)\n");
}

} // namespace vigil::scan::test
