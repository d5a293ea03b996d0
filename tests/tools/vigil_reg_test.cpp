// Drives the real vigil-reg binary against hives in temporary roots.

#include <doctest/doctest.h>
#include <thread>

#include "host/hive_file.hpp"
#include "host/hive_watch.hpp"
#include "host/text_encoding.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

const std::string key = "HKLM\\SOFTWARE\\Vigil\\VigilAgent";
const std::string full_key = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent";

struct reg_tool {
  std::filesystem::path root;

  test::process_result operator()(std::vector<std::string> args) const {
    args.insert(args.begin(), {test::program("vigil-reg").string(), "--root", root.string()});
    return test::run(args);
  }

  std::filesystem::path hive() const { return root / "etc/opt/vigil/registry.reg"; }
};

} // namespace

TEST_CASE("vigil-reg: every type round-trips through add, query, export and import") {
  test::temp_dir dir;
  reg_tool reg{dir.path()};
  struct typed {
    std::vector<std::string> add;
    std::string shown;
  };
  std::vector<typed> values{
    {{"/v", "Str", "/t", "REG_SZ", "/d", "hello world"}, "    Str    REG_SZ    hello world"},
    {{"/v", "Exp", "/t", "REG_EXPAND_SZ", "/d", "%HOME%/x"}, "    Exp    REG_EXPAND_SZ    %HOME%/x"},
    {{"/v", "Multi", "/t", "REG_MULTI_SZ", "/d", "a\\0b\\0c"}, "    Multi    REG_MULTI_SZ    a\\0b\\0c"},
    {{"/v", "Sep", "/t", "REG_MULTI_SZ", "/s", "#", "/d", "x#y"}, "    Sep    REG_MULTI_SZ    x\\0y"},
    {{"/v", "Hex", "/t", "REG_DWORD", "/d", "0x10"}, "    Hex    REG_DWORD    0x10"},
    {{"/v", "Dec", "/t", "reg_dword", "/d", "16"}, "    Dec    REG_DWORD    0x10"},
    {{"/v", "Q", "/t", "REG_QWORD", "/d", "0x123456789A"}, "    Q    REG_QWORD    0x123456789a"},
    {{"/v", "Bin", "/t", "REG_BINARY", "/d", "00FF10"}, "    Bin    REG_BINARY    00FF10"},
    {{"/ve", "/d", "default"}, "    (Default)    REG_SZ    default"},
  };
  for (auto& v : values) {
    std::vector<std::string> args{"add", key};
    args.insert(args.end(), v.add.begin(), v.add.end());
    auto r = reg(args);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "The operation completed successfully.\n");
  }
  auto query = reg({"query", key});
  REQUIRE(query.exit_code == 0);
  for (auto& v : values)
    CHECK(query.out.find(v.shown + "\n") != std::string::npos);
  auto single = reg({"query", key, "/v", "dec"});
  CHECK(single.exit_code == 0);
  CHECK(single.out == "\n" + full_key + "\n    Dec    REG_DWORD    0x10\n\n");

  auto exported = dir / "export.reg";
  REQUIRE(reg({"export", key, exported.string()}).exit_code == 0);
  auto before = hive_file{reg.hive()}.load();
  REQUIRE(before);
  REQUIRE(reg({"delete", key, "/f"}).exit_code == 0);
  CHECK(reg({"query", key}).exit_code == 1);
  auto imported = reg({"import", exported.string()});
  CAPTURE(imported.err);
  REQUIRE(imported.exit_code == 0);
  auto after = hive_file{reg.hive()}.load();
  REQUIRE(after);
  CHECK(*after == *before);
  CHECK(reg({"query", key}).out == query.out);
}

TEST_CASE("vigil-reg: a UTF-16LE .reg file from regedit imports") {
  test::temp_dir dir;
  reg_tool reg{dir.path()};
  std::string text = "Windows Registry Editor Version 5.00\r\n\r\n"
                     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent\\Logs]\r\n"
                     "\"TraceLevel\"=dword:00000006\r\n"
                     "\"Owner\"=\"J\xC3\xBCrgen\"\r\n\r\n";
  test::write_file(dir / "utf16.reg", "\xFF\xFE" + *utf8_to_utf16le(text));
  auto r = reg({"import", (dir / "utf16.reg").string()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  auto q = reg({"query", key + "\\Logs"});
  CHECK(q.out.find("    TraceLevel    REG_DWORD    0x6\n") != std::string::npos);
  CHECK(q.out.find("    Owner    REG_SZ    J\xC3\xBCrgen\n") != std::string::npos);
}

TEST_CASE("vigil-reg: data parsing and overwrite rules follow reg.exe") {
  test::temp_dir dir;
  reg_tool reg{dir.path()};
  SUBCASE("a DWORD over 32 bits is refused and nothing is written") {
    auto r = reg({"add", key, "/v", "D", "/t", "REG_DWORD", "/d", "4294967296", "/f"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("32 bits") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(reg.hive()));
  }
  SUBCASE("without /f and without a terminal an existing value is kept") {
    REQUIRE(reg({"add", key, "/v", "ScanOnDemand", "/t", "REG_DWORD", "/d", "1"}).exit_code == 0);
    auto r = reg({"add", key, "/v", "scanondemand", "/t", "REG_DWORD", "/d", "2"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("/f") != std::string::npos);
    CHECK(reg({"query", key, "/v", "ScanOnDemand"}).out.find("0x1\n") != std::string::npos);
    CHECK(reg({"add", key, "/v", "scanondemand", "/t", "REG_DWORD", "/d", "2", "/f"}).exit_code == 0);
    auto q = reg({"query", key, "/v", "ScanOnDemand"});
    CHECK(q.out.find("    ScanOnDemand    REG_DWORD    0x2\n") != std::string::npos);
  }
  SUBCASE("delete needs /f without a terminal; /va and /v remove values") {
    REQUIRE(reg({"add", key + "\\Sub", "/v", "a", "/d", "1"}).exit_code == 0);
    REQUIRE(reg({"add", key + "\\Sub", "/v", "b", "/d", "2"}).exit_code == 0);
    CHECK(reg({"delete", key + "\\Sub", "/v", "a"}).exit_code == 1);
    CHECK(reg({"delete", key + "\\Sub", "/v", "a", "/f"}).exit_code == 0);
    CHECK(reg({"query", key + "\\Sub", "/v", "a"}).exit_code == 1);
    CHECK(reg({"delete", key + "\\Sub", "/va", "/f"}).exit_code == 0);
    CHECK(reg({"query", key + "\\Sub", "/v", "b"}).exit_code == 1);
    CHECK(reg({"query", key + "\\Sub"}).exit_code == 0);
    CHECK(reg({"delete", key + "\\Sub", "/f"}).exit_code == 0);
    CHECK(reg({"query", key + "\\Sub"}).exit_code == 1);
  }
  SUBCASE("bad syntax exits 1 with a reason") {
    CHECK(reg({"add", key, "/t", "REG_FOO", "/v", "x"}).exit_code == 1);
    CHECK(reg({"add", key, "/v", "x", "/t", "REG_BINARY", "/d", "xyz"}).exit_code == 1);
    CHECK(reg({"frobnicate", key}).exit_code == 1);
    CHECK(reg({"query", "HKXX\\A"}).exit_code == 1);
    CHECK(reg({"/?"}).exit_code == 0);
  }
  SUBCASE("query /s lists the subtree") {
    REQUIRE(reg({"add", key + "\\ScanOnDemand\\UDC", "/v", "CpuLimit", "/t", "REG_DWORD", "/d", "50"}).exit_code == 0);
    auto q = reg({"query", key, "/s"});
    CHECK(q.exit_code == 0);
    CHECK(q.out.find(full_key + "\\ScanOnDemand\\UDC\n    CpuLimit    REG_DWORD    0x32\n")
          != std::string::npos);
  }
}

TEST_CASE("vigil-reg: 2 processes x 500 concurrent adds keep all 1000 values") {
  test::temp_dir dir;
  reg_tool reg{dir.path()};
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 2; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < 500; ++i) {
        auto name = "w" + std::to_string(w) + "v" + std::to_string(i);
        auto r = reg({"add", key + "\\Load", "/v", name, "/t", "REG_DWORD", "/d", std::to_string(i)});
        if (r.exit_code != 0)
          ++failures;
      }
    });
  for (auto& t : writers)
    t.join();
  CHECK(failures == 0);
  auto h = hive_file{reg.hive()}.load();
  REQUIRE(h);
  auto* load = h->find_key(full_key + "\\Load");
  REQUIRE(load != nullptr);
  CHECK(load->values.size() == 1000);
  CHECK(load->find("w1v499")->as_number() == 499u);
}

TEST_CASE("vigil-reg: a malformed hive fails every command, names the line, stays byte-identical") {
  test::temp_dir dir;
  reg_tool reg{dir.path()};
  std::string bytes = "Windows Registry Editor Version 5.00\n\n"
                      "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent]\n"
                      "\"Good\"=\"1\"\n"
                      "\"Broken\"=dword:not-hex\n";
  test::write_file(reg.hive(), bytes);
  test::write_file(dir / "in.reg", "Windows Registry Editor Version 5.00\n\n[HKLM\\A]\n\"x\"=\"1\"\n");
  std::vector<std::vector<std::string>> commands{
    {"add", key, "/v", "x", "/d", "1", "/f"},
    {"query", key},
    {"query", key, "/s"},
    {"delete", key, "/v", "Good", "/f"},
    {"delete", key, "/f"},
    {"import", (dir / "in.reg").string()},
    {"export", key, (dir / "out.reg").string(), "/y"},
  };
  for (auto& args : commands) {
    CAPTURE(args[0]);
    auto r = reg(args);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("registry.reg:5:") != std::string::npos);
    CHECK(test::read_file(reg.hive()) == bytes);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "out.reg"));
}

TEST_CASE("vigil-reg: the watcher sees a vigil-reg write within one second") {
  test::temp_dir dir;
  reg_tool reg{dir.path()};
  auto watch = hive_watch::open(reg.hive());
  REQUIRE(watch);
  auto r = reg({"add", key + "\\ScanOnDemand\\Vulnerability", "/v", "ScanOnDemand", "/t",
                "REG_DWORD", "/d", "1", "/f"});
  REQUIRE(r.exit_code == 0);
  auto written = std::chrono::steady_clock::now();
  std::vector<hive_change> changes;
  while (changes.empty() && std::chrono::steady_clock::now() - written < std::chrono::seconds{1}) {
    auto polled = watch->poll(std::chrono::milliseconds{50});
    REQUIRE(polled);
    changes = *polled;
  }
  auto latency = std::chrono::steady_clock::now() - written;
  MESSAGE("watch latency: "
          << std::chrono::duration_cast<std::chrono::microseconds>(latency).count() << " us");
  CHECK(latency < std::chrono::seconds{1});
  bool saw_value = false;
  for (auto& c : changes)
    saw_value |= c.what == hive_change::kind::value_set && c.value_name == "ScanOnDemand";
  CHECK(saw_value);
}
