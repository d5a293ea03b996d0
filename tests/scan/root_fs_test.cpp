#include "scan/root_fs.hpp"

#include <chrono>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::scan;
namespace fs = std::filesystem;

TEST_CASE("root_fs: '..' and absolute link targets stay under the root") {
  test::temp_dir dir;
  test::write_file(dir / "etc/passwd", "inside\n");
  fs::create_directories(dir / "lib");
  // An absolute target means the root's /etc, never the host's.
  fs::create_symlink("/etc/passwd", dir / "lib/abs");
  fs::create_symlink("../../../../../../etc/passwd", dir / "lib/climb");
  root_fs r{dir.path()};
  CHECK(!r.is_host_root());
  CHECK(root_fs::normalize("/a/./b/../../../c") == "/c");
  CHECK(r.host_path("/../../etc") == dir / "etc");
  CHECK(r.resolve("/lib/abs").value() == "/etc/passwd");
  CHECK(r.resolve("/lib/climb").value() == "/etc/passwd");
  CHECK(r.resolve("/lib/abs", false).value() == "/lib/abs");
  CHECK(r.read_file("/lib/abs", 100).value() == "inside\n");
  CHECK(r.read_file("/lib/climb", 100).value() == "inside\n");
  CHECK(root_fs{"/"}.is_host_root());
}

TEST_CASE("root_fs: loops, dangling links, directories and FIFOs are errors, not hangs") {
  test::temp_dir dir;
  fs::create_directories(dir / "d/sub");
  fs::create_symlink("b", dir / "d/a");
  fs::create_symlink("a", dir / "d/b");
  fs::create_symlink("/nowhere", dir / "d/dangling");
  REQUIRE(::mkfifo((dir / "d/fifo").c_str(), 0644) == 0);
  root_fs r{dir.path()};

  auto loop = r.read_file("/d/a", 100);
  REQUIRE(!loop);
  CHECK(code_of(loop.error()) == ec::io_error);
  CHECK(context_of(loop.error()) == "/d/a: symlink loop");
  // The link itself is still there to lstat.
  CHECK(r.lstat("/d/a").value().is_symlink());

  auto dangling = r.stat("/d/dangling");
  REQUIRE(!dangling);
  CHECK(code_of(dangling.error()) == ec::not_found);
  CHECK(context_of(dangling.error()) == "/d/dangling: dangling symlink");

  auto directory = r.read_file("/d/sub", 100);
  REQUIRE(!directory);
  CHECK(code_of(directory.error()) == ec::invalid_argument);
  CHECK(context_of(directory.error()) == "/d/sub: not a regular file (dir)");

  // Opening a FIFO for reading would block until a writer came: refused first.
  auto start = std::chrono::steady_clock::now();
  auto fifo = r.read_file("/d/fifo", 100);
  REQUIRE(!fifo);
  CHECK(context_of(fifo.error()) == "/d/fifo: not a regular file (fifo)");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{1});

  auto through_file = r.stat("/d/fifo/x");
  REQUIRE(!through_file);
  CHECK(code_of(through_file.error()) == ec::io_error);

  auto names = r.list_dir("/d").value();
  CHECK(names == std::vector<std::string>{"a", "b", "dangling", "fifo", "sub"});
}

TEST_CASE("root_fs: read_file caps what it keeps and says so") {
  test::temp_dir dir;
  test::write_file(dir / "big", std::string(100000, 'x'));
  root_fs r{dir.path()};
  bool truncated = false;
  auto text = r.read_file("/big", 1000, &truncated);
  REQUIRE(text);
  CHECK(text->size() == 1000);
  CHECK(truncated);
  CHECK(r.read_file("/big", 200000, &truncated)->size() == 100000);
  CHECK(!truncated);
}

TEST_CASE("root_fs: type and mode spellings") {
  test::temp_dir dir;
  test::write_file(dir / "f", "x");
  fs::permissions(dir / "f", fs::perms(04755));
  root_fs r{dir.path()};
  auto st = r.stat("/f").value();
  CHECK(type_name(st) == "file");
  CHECK(mode_string(st) == "4755");
  CHECK(join_path("/", "etc") == "/etc");
  CHECK(join_path("/etc", "x") == "/etc/x");
}
