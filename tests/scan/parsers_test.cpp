#include "scan/dpkg_status.hpp"

#include <doctest/doctest.h>

#include "scan/accounts.hpp"
#include "scan/proc_net.hpp"

using namespace vigil::scan;

TEST_CASE("dpkg status: installed packages only; a malformed stanza costs only itself") {
  auto list = parse_dpkg_status("Package: openssl\n"
                                "Status: install ok installed\n"
                                "Architecture: amd64\n"
                                "Version: 3.0.11-1~deb12u2\n"
                                "Description: Secure Sockets Layer toolkit\n"
                                " This package contains the openssl binary.\n"
                                "\n"
                                "Status: install ok installed\n" // no Package (line 8)
                                "Version: 1.0\n"
                                "\n"
                                "Package: broken\n" // line 11
                                "Status: install ok installed\n"
                                "this line is garbage\n"
                                "Version: 2\n"
                                "\n"
                                "Package: removed\n"
                                "Status: deinstall ok config-files\n"
                                "Version: 1\n"
                                "\n\n"
                                "Package: bash\r\n"
                                "status: install ok installed\r\n"
                                "Architecture: amd64\r\n"
                                "Version: 5.2.15-2+b2\r\n");
  REQUIRE(list.packages.size() == 2);
  CHECK(list.packages[0].name == "openssl");
  CHECK(list.packages[0].version == "3.0.11-1~deb12u2");
  CHECK(list.packages[0].architecture == "amd64");
  CHECK(list.packages[0].source == "dpkg");
  CHECK(list.packages[1].name == "bash");
  CHECK(list.packages[1].version == "5.2.15-2+b2");
  REQUIRE(list.problems.size() == 2);
  CHECK(list.problems[0].line == 8);
  CHECK(list.problems[0].message == "stanza has no Package field");
  CHECK(list.problems[1].line == 11);
  CHECK(list.problems[1].package == "broken");
  CHECK(list.problems[1].message == "line 13: not a 'Field: value' line");
}

TEST_CASE("rpm query output: epoch 0 dropped, bad lines reported") {
  auto list = parse_rpm_query("bash\t0:5.1.8-6.el9\tx86_64\n"
                              "openssl\t1:3.0.7-24.el9\tx86_64\n"
                              "nonsense\n");
  REQUIRE(list.packages.size() == 2);
  CHECK(list.packages[0].version == "5.1.8-6.el9");
  CHECK(list.packages[1].version == "1:3.0.7-24.el9");
  CHECK(list.packages[1].source == "rpm");
  REQUIRE(list.problems.size() == 1);
  CHECK(list.problems[0].line == 3);
}

TEST_CASE("proc/net: addresses, ports and states decode; bad lines are counted") {
  auto tcp = parse_proc_net(
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0\n"
    "   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   104        0 1235 1 0\n"
    "   2: 0F02000A:0016 0202000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 1236 1 0\n"
    "   3: garbage\n",
    false);
  REQUIRE(tcp.sockets.size() == 3);
  CHECK(tcp.sockets[0].address == "0.0.0.0");
  CHECK(tcp.sockets[0].port == 22);
  CHECK(is_listening(tcp.sockets[0], "tcp"));
  CHECK(tcp.sockets[1].address == "127.0.0.1");
  CHECK(tcp.sockets[1].port == 3306);
  CHECK(tcp.sockets[1].uid == 104);
  CHECK(tcp.sockets[2].address == "10.0.2.15");
  CHECK(!is_listening(tcp.sockets[2], "tcp")); // ESTABLISHED
  CHECK(tcp.bad_lines == std::vector<size_t>{5});

  auto tcp6 = parse_proc_net(
    "  sl  local_address                         remote_address                        st\n"
    "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 2222 1 0\n"
    "   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000  1000        0 2223 1 0\n",
    true);
  REQUIRE(tcp6.sockets.size() == 2);
  CHECK(tcp6.sockets[0].address == "::");
  CHECK(tcp6.sockets[1].address == "::1");
  CHECK(tcp6.sockets[1].port == 8080);

  auto udp = parse_proc_net(
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
    "  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3333 2 0 0\n"
    "  101: 0F02000A:D431 08080808:0035 01 00000000:00000000 00:00000000 00000000     0        0 3334 2 0 0\n",
    false);
  REQUIRE(udp.sockets.size() == 2);
  CHECK(is_listening(udp.sockets[0], "udp"));  // bound, unconnected: DHCP client port 68
  CHECK(!is_listening(udp.sockets[1], "udp")); // connected to 8.8.8.8:53
}

TEST_CASE("accounts: passwd, group and shadow states; no hash survives parsing") {
  auto users = parse_passwd("root:x:0:0:root:/root:/bin/bash\n"
                            "old:$6$salt$hash:1001:1001::/home/old:/bin/sh\n"
                            "nopw::1002:1002::/home/nopw:/bin/sh\n"
                            "+nisuser::::::\n"
                            "broken:x:notanumber:0::/:/bin/false\n"
                            "short:x:1\n");
  REQUIRE(users.entries.size() == 3);
  CHECK(users.entries[0].password == "shadow");
  CHECK(users.entries[1].password == "has-password");
  CHECK(users.entries[2].password == "no-password");
  REQUIRE(users.problems.size() == 2);
  CHECK(users.problems[0].line == 5);
  CHECK(users.problems[1].line == 6);

  auto groups = parse_group("root:x:0:\nsudo:x:27:alice,bob\nbad:x:\n");
  REQUIRE(groups.entries.size() == 2);
  CHECK(groups.entries[1].members == std::vector<std::string>{"alice", "bob"});
  CHECK(groups.problems.size() == 1);

  auto shadow = parse_shadow_states("root:$y$j9T$abc$def:19000:0:99999:7:::\n"
                                    "daemon:*:19000:0:99999:7:::\n"
                                    "alice:!$6$x$y:19000::::::\n"
                                    "guest::19000::::::\n");
  CHECK(shadow.at("root") == "has-password");
  CHECK(shadow.at("daemon") == "locked");
  CHECK(shadow.at("alice") == "locked");
  CHECK(shadow.at("guest") == "no-password");
  CHECK(password_state("!!") == "locked");
}
