#include "host/fingerprint.hpp"

#include <doctest/doctest.h>

#include "host/inventory.hpp"
#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

TEST_CASE("machine_identity: MachineGuid, host name and a fingerprint") {
  test::temp_dir dir;
  auto id = read_machine_identity(paths{dir.path()});
  CHECK_FALSE(id.machine_id.empty());
  CHECK(id.machine_id.size() == 36); // a GUID without braces
  CHECK_FALSE(id.hostname.empty());
  for (auto& mac : id.macs)
    CHECK(mac.size() == 17);
  CHECK_FALSE(fingerprint_of(id).empty());
  CHECK(fingerprint_of(read_machine_identity(paths{dir.path()})) == fingerprint_of(id));
}

TEST_CASE("inventory: Windows' version, architecture and addresses") {
  test::temp_dir dir;
  paths p{dir.path()};
  auto id = read_machine_identity(p);
  auto inv = read_basic_inventory(p, id);
  CHECK(inv.os_name.rfind("Windows", 0) == 0);
  CHECK_FALSE(inv.os_version.empty());
  CHECK(inv.arch == "x86_64");
  CHECK(inv.hostname == id.hostname);
  for (auto& a : inv.ipv4)
    CHECK(a != "127.0.0.1");
}
