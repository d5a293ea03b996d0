// The Windows collectors (scan/windows) over a fresh folder as the root and a
// private key of the current user as HKEY_LOCAL_MACHINE.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "host/registry_hive.hpp"
#include "protocol/sha256.hpp"
#include "scan/collector.hpp"
#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::scan;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// The finalized rows of `spec` run with `root` as `/` and `machine` as HKLM.
snapshot run(const fs::path& root, const registry_mount& machine, const json& spec) {
  paths p{root};
  collect_context ctx;
  ctx.root_paths = &p;
  ctx.machine_registry = machine;
  snapshot rows;
  REQUIRE(collect(protocol::collector{spec.value("type", std::string{}), spec}, ctx, rows));
  finalize(rows);
  return rows;
}

std::optional<json> row(const snapshot& rows, const std::string& key) {
  for (const auto& r : rows)
    if (r.key == key)
      return json::parse(r.value);
  return std::nullopt;
}

/// Writes `values` to the key `path` (under HKLM as the mount sees it).
void write_key(const registry_mount& mount, const std::string& path,
               std::vector<reg_value> values) {
  auto written = registry_hive{mount}.update([&](hive& h) -> caf::expected<void> {
    auto full = std::string{agent_key} + "\\" + path;
    h.ensure_key(full);
    for (auto& v : values)
      h.set(full, v);
    return {};
  });
  REQUIRE_MESSAGE(written, render(written.error()));
}

const std::string uninstall = "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall";
const std::string uninstall32 = "SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall";

} // namespace

TEST_CASE("file (Windows): facts, sha256, matching lines; a missing path and a folder") {
  test::temp_dir dir;
  test::temp_mount hklm;
  std::string config = "Port 22\nPermitRootLogin yes\n#PermitRootLogin no\n";
  test::write_file(dir.path() / "etc/ssh/sshd_config", config);
  fs::create_directories(dir.path() / "var/log");
  auto rows = run(dir.path(), hklm.mount(),
                  {{"type", "file"},
                   {"paths", {"/etc/ssh/sshd_config", "/etc/nothing", "/var/log"}},
                   {"regex", "^\\s*Permit"}});
  REQUIRE(rows.size() == 3);
  auto v = row(rows, "file//etc/ssh/sshd_config").value();
  CHECK(v["exists"] == true);
  CHECK(v["type"] == "file");
  CHECK(v["mode"] == "0666");
  CHECK(v["size"] == config.size());
  CHECK(v["sha256"] == protocol::sha256_hex(config));
  CHECK(v["lines"] == json::array({"PermitRootLogin yes"}));
  CHECK(row(rows, "file//etc/nothing").value() == json{{"exists", false}});
  auto folder = row(rows, "file//var/log").value();
  CHECK(folder["type"] == "dir");
  CHECK(!folder.contains("sha256"));
}

TEST_CASE("file (Windows): lines of key files are never collected") {
  test::temp_dir dir;
  test::temp_mount hklm;
  test::write_file(dir.path() / "etc/ssh/ssh_host_rsa_key", "PRIVATE\n");
  auto rows = run(dir.path(), hklm.mount(),
                  {{"type", "file"}, {"paths", "/etc/ssh/ssh_host_rsa_key"}, {"regex", "."}});
  auto v = row(rows, "file//etc/ssh/ssh_host_rsa_key").value();
  CHECK(!v.contains("lines"));
  CHECK(v["sha256"] == protocol::sha256_hex("PRIVATE\n"));
}

TEST_CASE("dir (Windows): glob per component, depth, hidden names, sorted rows") {
  test::temp_dir dir;
  test::temp_mount hklm;
  test::write_file(dir.path() / "etc/a.conf", "12345");
  test::write_file(dir.path() / "etc/b.conf", "");
  test::write_file(dir.path() / "etc/.hidden.conf", "");
  test::write_file(dir.path() / "etc/c.txt", "");
  test::write_file(dir.path() / "etc/sub.conf/inner", "x");
  auto rows = run(dir.path(), hklm.mount(),
                  {{"type", "dir"}, {"glob", "/etc/*.conf"}, {"max_depth", 1}});
  std::vector<std::string> keys;
  for (const auto& r : rows)
    keys.push_back(r.key);
  CHECK(keys == std::vector<std::string>{"dir//etc/a.conf", "dir//etc/b.conf",
                                         "dir//etc/sub.conf", "dir//etc/sub.conf/inner"});
  CHECK(row(rows, "dir//etc/a.conf").value()
        == json{{"type", "file"}, {"mode", "0666"}, {"uid", 0}, {"gid", 0}, {"size", 5}});
  CHECK(row(rows, "dir//etc/sub.conf").value()["type"] == "dir");
  auto cut = run(dir.path(), hklm.mount(),
                 {{"type", "dir"}, {"glob", "/etc/*"}, {"max_entries", 2}});
  CHECK(row(cut, "error/dir//etc/*").has_value());
}

TEST_CASE("os (Windows): the product from the registry, the kernel from RtlGetVersion") {
  test::temp_dir dir;
  test::temp_mount hklm;
  write_key(hklm.mount(), "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
            {reg_value::sz("ProductName", "Windows 10 Pro"), reg_value::sz("DisplayVersion", "22H2"),
             reg_value::sz("EditionID", "Professional")});
  auto rows = run(dir.path(), hklm.mount(), {{"type", "os"}, {"uptime", true}});
  CHECK(row(rows, "os/release").value()
        == json{{"ID", "windows"}, {"NAME", "Windows 10 Pro"}, {"VERSION_ID", "22H2"},
                {"EDITION_ID", "Professional"}});
  auto kernel = row(rows, "os/kernel").value();
  CHECK(kernel["arch"] == "x86_64");
  auto release = kernel["release"].get<std::string>();
  CHECK(std::count(release.begin(), release.end(), '.') == 2);
  CHECK(kernel["version"].get<std::string>().rfind("build ", 0) == 0);
  CHECK(row(rows, "os/uptime").value()["seconds"].is_number_unsigned());
  CHECK(!row(rows, "os/boot"));
  // Without the key: the release row says only what it knows.
  test::temp_mount empty;
  CHECK(row(run(dir.path(), empty.mount(), {{"type", "os"}}), "os/release").value()
        == json{{"ID", "windows"}});
}

TEST_CASE("packages (Windows): both Uninstall views; hidden entries and updates skipped") {
  test::temp_dir dir;
  test::temp_mount hklm;
  write_key(hklm.mount(), uninstall + "\\{7-Zip}",
            {reg_value::sz("DisplayName", "7-Zip 23.01 (x64)"), reg_value::sz("DisplayVersion", "23.01"),
             reg_value::sz("Publisher", "Igor Pavlov")});
  write_key(hklm.mount(), uninstall + "\\Tool64",
            {reg_value::sz("DisplayName", "Tool"), reg_value::sz("DisplayVersion", "2.0")});
  write_key(hklm.mount(), uninstall32 + "\\Tool32",
            {reg_value::sz("DisplayName", "Tool"), reg_value::sz("DisplayVersion", "1.9")});
  write_key(hklm.mount(), uninstall32 + "\\Old",
            {reg_value::expand_sz("DisplayName", "Old Thing")});
  write_key(hklm.mount(), uninstall + "\\NoName", {reg_value::sz("DisplayVersion", "1")});
  write_key(hklm.mount(), uninstall + "\\Hidden",
            {reg_value::sz("DisplayName", "Runtime"), reg_value::dword("SystemComponent", 1)});
  write_key(hklm.mount(), uninstall + "\\KB123",
            {reg_value::sz("DisplayName", "Update for 7-Zip"),
             reg_value::sz("ParentKeyName", "{7-Zip}")});
  auto rows = run(dir.path(), hklm.mount(), {{"type", "packages"}});
  std::vector<std::string> keys;
  for (const auto& r : rows)
    keys.push_back(r.key);
  CHECK(keys == std::vector<std::string>{"packages/7-Zip 23.01 (x64)", "packages/Old Thing",
                                         "packages/Tool:x64", "packages/Tool:x86"});
  CHECK(row(rows, "packages/7-Zip 23.01 (x64)").value()
        == json{{"arch", "x64"}, {"source", "uninstall"}, {"version", "23.01"},
                {"publisher", "Igor Pavlov"}});
  CHECK(row(rows, "packages/Old Thing").value() == json{{"arch", "x86"}, {"source", "uninstall"}});
  CHECK(row(rows, "packages/Tool:x86").value()["version"] == "1.9");

  test::temp_mount empty;
  auto none = run(dir.path(), empty.mount(), {{"type", "packages"}});
  REQUIRE(none.size() == 1);
  CHECK(none[0].key == "error/packages/none");
}

TEST_CASE("registry (Windows): values of a real key, one value, recursion, absent keys") {
  test::temp_dir dir;
  test::temp_mount hklm;
  write_key(hklm.mount(), "SOFTWARE\\Vigil\\VigilAgent",
            {reg_value::dword("LogLevel", 3), reg_value::sz("", "default"),
             reg_value::sz("ProxyPassword", "hunter2"),
             reg_value::multi_sz("Servers", {"a", "b"}), reg_value::binary("Blob", {0xab, 0x01})});
  write_key(hklm.mount(), "SOFTWARE\\Vigil\\VigilAgent\\ScanOnDemand\\Inventory",
            {reg_value::qword("CpuLimit", 25)});
  const std::string key = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent";
  auto rows = run(dir.path(), hklm.mount(), {{"type", "registry"}, {"key", "HKLM\\SOFTWARE\\Vigil\\VigilAgent"}});
  CHECK(rows.size() == 5);
  CHECK(row(rows, "registry/" + key + "/LogLevel").value() == json{{"type", "REG_DWORD"}, {"data", 3}});
  CHECK(row(rows, "registry/" + key + "/@").value() == json{{"type", "REG_SZ"}, {"data", "default"}});
  CHECK(row(rows, "registry/" + key + "/ProxyPassword").value()
        == json{{"type", "REG_SZ"}, {"redacted", true}});
  CHECK(row(rows, "registry/" + key + "/Servers").value()["data"] == json::array({"a", "b"}));
  CHECK(row(rows, "registry/" + key + "/Blob").value()["data"] == "ab01");

  auto deep = run(dir.path(), hklm.mount(),
                  {{"type", "registry"}, {"key", key}, {"recursive", true}});
  CHECK(deep.size() == 6);
  CHECK(row(deep, "registry/" + key + "\\ScanOnDemand\\Inventory/CpuLimit").value()
        == json{{"type", "REG_QWORD"}, {"data", 25}});

  auto one = run(dir.path(), hklm.mount(),
                 {{"type", "registry"}, {"key", key}, {"value", "loglevel"}});
  REQUIRE(one.size() == 1);
  CHECK(one[0].key == "registry/" + key + "/LogLevel");
  auto absent_value = run(dir.path(), hklm.mount(),
                          {{"type", "registry"}, {"key", key}, {"value", "Nope"}});
  CHECK(row(absent_value, "registry/" + key + "/Nope").value() == json{{"exists", false}});
  auto absent = run(dir.path(), hklm.mount(),
                    {{"type", "registry"}, {"key", "HKLM\\SOFTWARE\\Nothing"}});
  CHECK(row(absent, "registry/HKEY_LOCAL_MACHINE\\SOFTWARE\\Nothing").value()
        == json{{"exists", false}});
  // The service's own user hive is no user's: refused, as one error row.
  auto user = run(dir.path(), hklm.mount(), {{"type", "registry"}, {"key", "HKCU\\Software"}});
  REQUIRE(user.size() == 1);
  CHECK(user[0].key == "error/registry/hive");
}

TEST_CASE("collect (Windows): a collector with no Windows meaning is one unknown-type row") {
  test::temp_dir dir;
  test::temp_mount hklm;
  for (auto type : {"sysctl", "kernel_modules", "command"}) {
    auto rows = run(dir.path(), hklm.mount(), {{"type", type}});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].key.rfind(std::string{"error/"} + type + "/", 0) == 0);
    CHECK(json::parse(rows[0].value)["error"].get<std::string>().find("unknown collector type")
          != std::string::npos);
  }
}
