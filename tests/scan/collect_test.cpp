#include "scan/collector.hpp"

#include <doctest/doctest.h>

#include "tests/scan/scan_fixture.hpp"

using namespace vigil;
using namespace vigil::scan;
using namespace vigil::scan::test;
using nlohmann::json;

namespace {

/// One spec of every collector type, over the `make_host` tree.
const json every_collector = json::array({
  {{"type", "os"}},
  {{"type", "network"}},
  {{"type", "packages"}},
  {{"type", "file"}, {"paths", {"/etc/passwd", "/etc/hostname", "/missing"}}, {"regex", "^root"}},
  {{"type", "dir"}, {"glob", "/etc/*"}, {"max_depth", 2}},
  {{"type", "sysctl"}, {"prefix", "net"}, {"keys", json::array({"kernel.randomize_va_space"})}},
  {{"type", "services"}},
  {{"type", "listening_ports"}},
  {{"type", "users"}},
  {{"type", "kernel_modules"}},
  {{"type", "command"}, {"argv", {"/bin/echo", "hello"}}},
  {{"type", "registry"}, {"key", "HKLM\\SOFTWARE\\Vigil\\VigilAgent"}},
});

snapshot scan_all(const std::filesystem::path& root) {
  paths p{root};
  collect_context ctx{&p, std::chrono::seconds{10}, 4096, {}, {}};
  snapshot rows;
  for (const auto& spec : every_collector) {
    auto ok = collect(protocol::collector{spec["type"], spec}, ctx, rows);
    REQUIRE(ok);
  }
  finalize(rows);
  return rows;
}

} // namespace

TEST_CASE("collect: the same host state gives byte-identical rows, under any root") {
  vigil::test::temp_dir one;
  vigil::test::temp_dir two;
  make_host(one.path());
  make_host(two.path());
  auto first = scan_all(one.path());
  auto again = scan_all(one.path());
  auto elsewhere = scan_all(two.path());
  CHECK(first.size() > 40);
  CHECK(first == again);
  // Rows never embed the root: identical trees under different roots agree
  // except where a file's mtime differs.
  size_t differing = 0;
  REQUIRE(first.size() == elsewhere.size());
  for (size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].key == elsewhere[i].key);
    if (first[i].value != elsewhere[i].value) {
      ++differing;
      CHECK(first[i].key.rfind("file/", 0) == 0); // only mtime may differ
    }
  }
  CHECK(differing <= 3);
  // Every collector type contributed, and no collector failed as a whole.
  for (const char* prefix : {"os/", "network/", "packages/", "file/", "dir/", "sysctl/",
                             "services/", "listening_ports/", "users/", "groups/",
                             "kernel_modules/", "command/", "registry/"})
    CHECK_MESSAGE(count_prefix(first, prefix) > 0, prefix);
  for (const auto& r : first) {
    auto what = r.key + " = " + r.value;
    CHECK_MESSAGE(r.key.rfind("error/", 0) != 0, what);
  }
  // Sorted, unique keys.
  for (size_t i = 1; i < first.size(); ++i)
    CHECK(first[i - 1].key < first[i].key);
}

TEST_CASE("collect: an unknown type or a bad spec is one error row, never a failed scan") {
  vigil::test::temp_dir dir;
  auto unknown = run_collector(dir.path(), {{"type", "telepathy"}});
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].key.rfind("error/telepathy/", 0) == 0);
  CHECK(unknown[0].key.size() == std::string{"error/telepathy/"}.size() + 12);
  CHECK(row(unknown, unknown[0].key)->at("error")
        == "invalid_argument: unknown collector type 'telepathy'");

  for (const json& bad : {json{{"type", "file"}},                                // no paths
                          json{{"type", "file"}, {"paths", {"/etc/passwd", 3}}}, // not strings
                          json{{"type", "file"}, {"paths", "/x"}, {"regex", "(unclosed"}},
                          json{{"type", "dir"}, {"glob", "relative/*"}},
                          json{{"type", "dir"}, {"glob", "/etc/../../*"}},
                          json{{"type", "sysctl"}},
                          json{{"type", "sysctl"}, {"keys", json::array({"../../etc/passwd"})}},
                          json{{"type", "command"}, {"argv", json::array()}},
                          json{{"type", "command"}, {"argv", json::array({"/bin/true"})}, {"timeout_ms", -5}},
                          json{{"type", "registry"}, {"key", "HKXX\\Nope"}},
                          json{{"type", "os"}, {"uptime", "yes"}}}) {
    auto rows = run_collector(dir.path(), bad);
    REQUIRE_MESSAGE(rows.size() == 1, bad.dump());
    CHECK_MESSAGE(rows[0].key.rfind("error/" + bad["type"].get<std::string>() + "/", 0) == 0,
                  rows[0].key);
    CHECK(row(rows, rows[0].key)->at("error").get<std::string>().rfind("invalid_argument", 0)
          == 0);
  }
  // The same bad spec gives the same key; a different one a different key.
  auto a = run_collector(dir.path(), {{"type", "nope"}, {"x", 1}});
  auto b = run_collector(dir.path(), {{"type", "nope"}, {"x", 1}});
  auto c = run_collector(dir.path(), {{"type", "nope"}, {"x", 2}});
  CHECK(a == b);
  CHECK(a[0].key != c[0].key);
}

TEST_CASE("collect: a context without a root is the only failure") {
  collect_context ctx;
  snapshot rows;
  CHECK(!collect(protocol::collector{"os", json::object()}, ctx, rows));
  CHECK(rows.empty());
}

TEST_CASE("collect: pace is called between items") {
  vigil::test::temp_dir dir;
  make_host(dir.path());
  paths p{dir.path()};
  int calls = 0;
  collect_context ctx{&p, std::chrono::seconds{10}, 4096, [&] { ++calls; }, {}};
  snapshot rows;
  json spec{{"type", "file"}, {"paths", {"/etc/passwd", "/etc/group", "/etc/hosts"}}};
  REQUIRE(collect(protocol::collector{"file", spec}, ctx, rows));
  CHECK(calls >= 3);
}
