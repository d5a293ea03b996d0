// The one atomic file writer (issue 15, defect 4): a random temporary name
// created with O_EXCL|O_NOFOLLOW, the mode set before the content, fsync of
// the file and of its directory.

#include "host/atomic_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "common/error.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& file) {
  struct stat st {};
  REQUIRE(::lstat(file.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

/// The temporary name the writer used before the fix: predictable by anyone.
fs::path old_temporary_name(const fs::path& file) {
  return file.string() + ".tmp." + std::to_string(::getpid());
}

/// Names in `dir` other than `keep`.
std::vector<std::string> others_in(const fs::path& dir, const std::vector<std::string>& keep) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (std::find(keep.begin(), keep.end(), name) == keep.end())
      out.push_back(name);
  }
  return out;
}

/// Sets the umask for one scope.
struct scoped_umask {
  mode_t saved;
  explicit scoped_umask(mode_t mask) : saved{::umask(mask)} {}
  ~scoped_umask() { ::umask(saved); }
};

} // namespace

TEST_CASE("write_file_atomically: a symbolic link planted at a temporary name is not followed") {
  test::temp_dir dir;
  auto file = dir / "registry.reg";
  auto victim = dir / "victim";
  test::write_file(victim, "precious\n");
  test::write_file(file, "old\n");
  // Where the writer used to put its temporary file: the link would have sent
  // the new content (as root) into the victim, and the link itself would have
  // been renamed over the target.
  fs::create_symlink(victim, old_temporary_name(file));
  REQUIRE(write_file_atomically(file, "new\n", 0600));
  CHECK(test::read_file(victim) == "precious\n");
  CHECK_FALSE(fs::is_symlink(file));
  CHECK(fs::is_regular_file(file));
  CHECK(test::read_file(file) == "new\n");
  // The planted link is someone else's business; nothing of ours is left.
  CHECK(fs::is_symlink(old_temporary_name(file)));
  CHECK(others_in(dir.path(), {"registry.reg", "victim", old_temporary_name(file).filename()})
          .empty());
}

TEST_CASE("write_file_atomically: a symbolic link at the target is replaced, not followed") {
  test::temp_dir dir;
  auto file = dir / "out.json";
  auto victim = dir / "victim";
  test::write_file(victim, "precious\n");
  fs::create_symlink(victim, file);
  REQUIRE(write_file_atomically(file, "{}\n", 0644));
  CHECK(test::read_file(victim) == "precious\n");
  CHECK_FALSE(fs::is_symlink(file));
  CHECK(test::read_file(file) == "{}\n");
}

TEST_CASE("write_file_atomically: the file has the mode asked, whatever was there before") {
  test::temp_dir dir;
  auto file = dir / "ca.key";
  SUBCASE("a stale temporary file with other permissions") {
    // A temporary file left by a killed writer (or planted): reusing it would
    // keep its permissions, and a secret would be written world-readable.
    test::write_file(old_temporary_name(file), "stale");
    fs::permissions(old_temporary_name(file), fs::perms{0666});
    test::write_file(file, "old key");
    fs::permissions(file, fs::perms{0644});
    REQUIRE(write_file_atomically(file, "new key", 0600));
    CHECK(mode_of(file) == 0600);
    CHECK(test::read_file(file) == "new key");
  }
  SUBCASE("an existing target with looser permissions") {
    test::write_file(file, "old key");
    fs::permissions(file, fs::perms{0666});
    REQUIRE(write_file_atomically(file, "new key", 0600));
    CHECK(mode_of(file) == 0600);
  }
  SUBCASE("the default is private") {
    REQUIRE(write_file_atomically(file, "new key"));
    CHECK(mode_of(file) == 0600);
  }
  SUBCASE("the umask does not change the mode asked") {
    scoped_umask mask{077};
    REQUIRE(write_file_atomically(dir / "vigil-agent", "#!/bin/sh\n", 0755));
    CHECK(mode_of(dir / "vigil-agent") == 0755);
  }
}

TEST_CASE("write_file_atomically: concurrent writers of one file never collide") {
  test::temp_dir dir;
  auto file = dir / "agent-status.json";
  constexpr int writers = 6;
  constexpr int rounds = 25;
  std::vector<std::string> contents;
  for (int w = 0; w < writers; ++w)
    contents.push_back(std::string(64 * 1024 + w, static_cast<char>('a' + w)));
  std::vector<int> failures(writers, 0);
  std::vector<std::string> first_error(writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      for (int r = 0; r < rounds; ++r)
        if (auto ok = write_file_atomically(file, contents[w], 0600); !ok) {
          if (failures[w]++ == 0)
            first_error[w] = render(ok.error());
        }
    });
  for (auto& t : threads)
    t.join();
  for (int w = 0; w < writers; ++w) {
    INFO("writer " << w << ": " << first_error[w]);
    CHECK(failures[w] == 0);
  }
  // The file is one writer's content, whole.
  auto final_text = test::read_file(file);
  CHECK(std::find(contents.begin(), contents.end(), final_text) != contents.end());
  CHECK(mode_of(file) == 0600);
  CHECK(others_in(dir.path(), {"agent-status.json"}).empty());
}

TEST_CASE("write_file_atomically: if_exists::keep never replaces a file") {
  test::temp_dir dir;
  auto file = dir / "host.key";
  REQUIRE(write_file_atomically(file, "first", 0600, if_exists::keep));
  auto again = write_file_atomically(file, "second", 0600, if_exists::keep);
  REQUIRE_FALSE(again);
  CHECK(code_of(again.error()) == ec::already_exists);
  CHECK(test::read_file(file) == "first");
  CHECK(others_in(dir.path(), {"host.key"}).empty());
}

TEST_CASE("write_file_atomically: a failure leaves the target and no temporary file") {
  test::temp_dir dir;
  fs::create_directories(dir / "target" / "inside");
  auto failed = write_file_atomically(dir / "target", "x", 0600);
  CHECK_FALSE(failed);
  CHECK(fs::is_directory(dir / "target"));
  CHECK(others_in(dir.path(), {"target"}).empty());
}

TEST_CASE("write_file_atomically: a missing directory is private for a private file") {
  test::temp_dir dir;
  scoped_umask mask{022};
  REQUIRE(write_file_atomically(dir / "state/snapshots/Inventory.jsonl", "{}\n", 0600));
  CHECK(mode_of(dir / "state/snapshots") == 0700);
  CHECK(mode_of(dir / "state") == 0755); // a parent on the way: not ours to close
  REQUIRE(write_file_atomically(dir / "reports/report.txt", "ok\n", 0644));
  CHECK(mode_of(dir / "reports") == 0755);
  // An existing directory keeps its mode.
  fs::create_directories(dir / "shared");
  fs::permissions(dir / "shared", fs::perms{0775});
  REQUIRE(write_file_atomically(dir / "shared/key", "k", 0600));
  CHECK(mode_of(dir / "shared") == 0775);
}

TEST_CASE("exchange_paths: two directories trade places in one step; a missing one is an error "
          "naming it") {
  test::temp_dir dir;
  auto files = dir / "vigil";
  auto staging = dir / "vigil.staging";
  test::write_file(files / "VERSION", "0.1.0\n");
  test::write_file(staging / "VERSION", "0.2.0\n");
  REQUIRE(exchange_paths(staging, files));
  CHECK(test::read_file(files / "VERSION") == "0.2.0\n");
  CHECK(test::read_file(staging / "VERSION") == "0.1.0\n");
  auto missing = exchange_paths(dir / "nothing", files);
  REQUIRE_FALSE(missing);
  CHECK(render(missing.error()).find("nothing") != std::string::npos);
  CHECK(test::read_file(files / "VERSION") == "0.2.0\n");
}
