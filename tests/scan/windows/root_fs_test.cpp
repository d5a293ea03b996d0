// root_fs on Windows (scan/windows/host_files.cpp): paths stay under the root,
// facts come from the file's handle, reads are capped, listings sorted.
#include "scan/root_fs.hpp"

#include <doctest/doctest.h>
#include <windows.h>

#include "common/error.hpp"
#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::scan;
namespace fs = std::filesystem;

TEST_CASE("root_fs (Windows): '..' never leaves the root; facts of files and folders") {
  test::temp_dir dir;
  test::write_file(dir.path() / "etc/passwd", "inside\n");
  root_fs r{dir.path()};
  CHECK(!r.is_host_root());
  CHECK(r.host_path("/../../etc") == dir.path() / "etc");
  CHECK(r.read_file("/../../../etc/passwd", 100).value() == "inside\n");
  auto file = r.stat("/etc/passwd").value();
  CHECK(type_name(file) == "file");
  CHECK(mode_string(file) == "0666");
  CHECK(file.size == 7);
  CHECK(file.uid == 0);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(file.mtime > now - 600);
  CHECK(file.mtime <= now + 5);
  auto folder = r.stat("/etc").value();
  CHECK(type_name(folder) == "dir");
  CHECK(mode_string(folder) == "0777");
  fs::permissions(dir.path() / "etc/passwd", fs::perms::owner_write, fs::perm_options::remove);
  CHECK(mode_string(r.stat("/etc/passwd").value()) == "0444");
  fs::permissions(dir.path() / "etc/passwd", fs::perms::owner_write, fs::perm_options::add);
}

TEST_CASE("root_fs (Windows): missing paths, folders and files in the middle are errors") {
  test::temp_dir dir;
  test::write_file(dir.path() / "f", "x");
  root_fs r{dir.path()};
  auto missing = r.stat("/nothing/here");
  REQUIRE(!missing);
  CHECK(code_of(missing.error()) == ec::not_found);
  CHECK(render(missing.error()).find("/nothing/here") != std::string::npos);
  CHECK(render(missing.error()).find(dir.path().string()) == std::string::npos); // in-root only
  CHECK(!r.stat("/f/below"));
  auto folder = r.read_file("/", 10);
  REQUIRE(!folder);
  CHECK(code_of(folder.error()) == ec::invalid_argument);
}

TEST_CASE("root_fs (Windows): read_file caps what it keeps and says so") {
  test::temp_dir dir;
  test::write_file(dir.path() / "big", std::string(100000, 'x'));
  root_fs r{dir.path()};
  bool truncated = false;
  CHECK(r.read_file("/big", 1000, &truncated)->size() == 1000);
  CHECK(truncated);
  CHECK(r.read_file("/big", 200000, &truncated)->size() == 100000);
  CHECK(!truncated);
}

TEST_CASE("root_fs (Windows): list_dir is sorted and UTF-8") {
  test::temp_dir dir;
  test::write_file(dir.path() / "d/b", "");
  test::write_file(dir.path() / "d/a", "");
  test::write_file(dir.path() / fs::path{L"d/\u00e9t\u00e9"}, "");
  fs::create_directories(dir.path() / "d/c");
  fs::create_directories(dir.path() / "empty");
  root_fs r{dir.path()};
  CHECK(r.list_dir("/d").value() == std::vector<std::string>{"a", "b", "c", "\xc3\xa9t\xc3\xa9"});
  CHECK(r.list_dir("/empty").value().empty());
  CHECK(code_of(r.list_dir("/none").error()) == ec::not_found);
}

TEST_CASE("root_fs (Windows): a symbolic link is resolved under the root, a loop is an error") {
  test::temp_dir dir;
  test::write_file(dir.path() / "etc/real", "real\n");
  fs::create_directories(dir.path() / "lib");
  // Unprivileged creation needs Developer Mode on Windows; skip without it.
  // The links go before the folder: Wine's remove_all stops at a dangling one.
  struct links_guard {
    std::vector<fs::path> made;
    ~links_guard() {
      for (const auto& at : made)
        ::DeleteFileW(at.c_str());
    }
  } guard;
  auto link = [&](const wchar_t* target, const fs::path& at) {
    if (!::CreateSymbolicLinkW(at.c_str(), target, SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE))
      return false;
    guard.made.push_back(at);
    return true;
  };
  if (!link(L"\\etc\\real", dir.path() / "lib/abs")) {
    MESSAGE("no symbolic links here (error " << ::GetLastError() << "): case skipped");
    return;
  }
  REQUIRE(link(L"..\\..\\..\\..\\etc\\real", dir.path() / "lib/climb"));
  REQUIRE(link(L"loop2", dir.path() / "lib/loop1"));
  REQUIRE(link(L"loop1", dir.path() / "lib/loop2"));
  root_fs r{dir.path()};
  // Wine 8 makes a Unix symbolic link, which it follows even when asked for
  // the reparse point itself (FILE_FLAG_OPEN_REPARSE_POINT): no link to see.
  auto abs = r.lstat("/lib/abs");
  if (!abs || !abs->is_symlink()) {
    MESSAGE("symbolic links are not reparse points here (Wine): case skipped");
    return;
  }
  CHECK(type_name(*abs) == "symlink");
  CHECK(r.read_link("/lib/abs").value() == "/etc/real");
  CHECK(r.resolve("/lib/abs").value() == "/etc/real");
  CHECK(r.resolve("/lib/climb").value() == "/etc/real");
  CHECK(r.read_file("/lib/abs", 100).value() == "real\n");
  auto loop = r.stat("/lib/loop1");
  REQUIRE(!loop);
  CHECK(render(loop.error()).find("symlink loop") != std::string::npos);
}
