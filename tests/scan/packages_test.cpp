// The packages collector over fixture dpkg status files.

#include <doctest/doctest.h>

#include "tests/scan/scan_fixture.hpp"

using namespace vigil;
using namespace vigil::scan;
using namespace vigil::scan::test;
using nlohmann::json;

TEST_CASE("packages: installed dpkg packages become rows") {
  vigil::test::temp_dir dir;
  make_host(dir.path());
  auto rows = run_collector(dir.path(), {{"type", "packages"}});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].key == "packages/bash");
  CHECK(rows[0].value == R"({"arch":"amd64","source":"dpkg","version":"5.2.15-2+b2"})");
  CHECK(row(rows, "packages/openssl")->at("version") == "3.0.11-1~deb12u2");
}

TEST_CASE("packages: a malformed status file gives error rows plus every good package") {
  vigil::test::temp_dir dir;
  vigil::test::write_file(dir / "var/lib/dpkg/status",
                          "Package: good-one\n"
                          "Status: install ok installed\n"
                          "Architecture: all\n"
                          "Version: 1.0\n"
                          "\n"
                          "Status: install ok installed\n" // line 6: no Package
                          "Version: 9\n"
                          "\n"
                          "Package: half\n" // line 9: garbage inside
                          "Status: install ok installed\n"
                          "%%% garbage %%%\n"
                          "Version: 2\n"
                          "\n"
                          " orphan continuation\n" // line 14
                          "\n"
                          "Package: libc6\n"
                          "Status: install ok installed\n"
                          "Architecture: amd64\n"
                          "Version: 2.36-9\n"
                          "\n"
                          "Package: libc6\n"
                          "Status: install ok installed\n"
                          "Architecture: i386\n"
                          "Version: 2.36-9\n"
                          "\n"
                          "Package: purged\n"
                          "Status: purge ok not-installed\n");
  auto rows = run_collector(dir.path(), {{"type", "packages"}});
  CHECK(row(rows, "packages/good-one")->at("version") == "1.0");
  // Multiarch: one row per architecture, none hiding the other.
  CHECK(row(rows, "packages/libc6:amd64")->at("arch") == "amd64");
  CHECK(row(rows, "packages/libc6:i386")->at("arch") == "i386");
  CHECK(!row(rows, "packages/libc6"));
  CHECK(!row(rows, "packages/purged"));
  CHECK(!row(rows, "packages/half"));
  CHECK(row(rows, "error/packages/dpkg-status:6")->at("error")
        == "parse_error: stanza has no Package field");
  auto half = row(rows, "error/packages/dpkg-status:9").value();
  CHECK(half["package"] == "half");
  CHECK(half["error"] == "parse_error: line 11: not a 'Field: value' line");
  CHECK(row(rows, "error/packages/dpkg-status:14").has_value());
  CHECK(count_prefix(rows, "error/") == 3);
  CHECK(count_prefix(rows, "packages/") == 3);
}

TEST_CASE("packages: no database at all is one error row; an unreadable one too") {
  vigil::test::temp_dir dir;
  auto none = run_collector(dir.path(), {{"type", "packages"}});
  REQUIRE(none.size() == 1);
  CHECK(none[0].key == "error/packages/none");
  // A directory where the status file should be.
  std::filesystem::create_directories(dir / "var/lib/dpkg/status");
  auto wrong = run_collector(dir.path(), {{"type", "packages"}});
  REQUIRE(wrong.size() == 1);
  CHECK(wrong[0].key == "error/packages/dpkg-status");
  CHECK(row(wrong, wrong[0].key)->at("error")
        == "invalid_argument: /var/lib/dpkg/status: not a regular file (dir)");
}
