#include "host/hive_file.hpp"

#include <doctest/doctest.h>
#include <future>
#include <memory>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.hpp"
#include "host/hive_watch.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {
const std::string key = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent";
}

TEST_CASE("hive_file: a missing file is an empty hive; updates persist") {
  test::temp_dir dir;
  hive_file file{dir / "etc/registry.reg"};
  auto empty = file.load();
  REQUIRE(empty);
  CHECK(empty->empty());
  auto written = file.update([](hive& h) -> caf::expected<void> {
    h.set(key, reg_value::dword("CpuLimit", 50));
    return {};
  });
  REQUIRE(written);
  auto again = hive_file{dir / "etc/registry.reg"}.load();
  REQUIRE(again);
  CHECK(again->get(key, "cpulimit")->as_number() == 50u);
  // No temporary file is left behind.
  size_t entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir / "etc"))
    entries += e.path().extension() == ".reg" ? 1 : 0;
  CHECK(entries == 1);
}

TEST_CASE("hive_file: a malformed hive is reported and never rewritten") {
  test::temp_dir dir;
  auto path = dir / "registry.reg";
  std::string bytes = "Windows Registry Editor Version 5.00\n\n[HKLM\\A]\n\"x\"=dword:zz\n";
  test::write_file(path, bytes);
  hive_file file{path};
  auto loaded = file.load();
  REQUIRE_FALSE(loaded);
  CHECK(render(loaded.error()).find("registry.reg:4:") != std::string::npos);
  auto updated = file.update([](hive& h) -> caf::expected<void> {
    h.set("HKEY_LOCAL_MACHINE\\A", reg_value::sz("y", "1"));
    return {};
  });
  CHECK_FALSE(updated);
  CHECK(test::read_file(path) == bytes);
}

TEST_CASE("hive_file: a failing change writes nothing") {
  test::temp_dir dir;
  hive_file file{dir / "registry.reg"};
  REQUIRE(file.update([](hive& h) -> caf::expected<void> {
    h.set(key, reg_value::sz("a", "1"));
    return {};
  }));
  auto before = test::read_file(dir / "registry.reg");
  auto failed = file.update([](hive& h) -> caf::expected<void> {
    h.set(key, reg_value::sz("a", "2"));
    return make_error(ec::invalid_argument, "refused");
  });
  CHECK_FALSE(failed);
  CHECK(test::read_file(dir / "registry.reg") == before);
}

TEST_CASE("write_file_atomically: a plain file name is written in the working directory") {
  // Issue 17: `vigil-reg export KEY out.reg` failed with "create directory :".
  test::temp_dir dir;
  auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  auto written = write_file_atomically("plain.reg", "bytes");
  auto hive_written = hive_file{"plain_hive.reg"}.update([](hive& h) -> caf::expected<void> {
    h.set(key, reg_value::sz("a", "1"));
    return {};
  });
  std::filesystem::current_path(previous);
  CHECK(written);
  CHECK(hive_written);
  CHECK(test::read_file(dir / "plain.reg") == "bytes");
  auto loaded = hive_file{dir / "plain_hive.reg"}.load();
  REQUIRE(loaded);
  CHECK(loaded->get(key, "a")->as_string() == "1");
}

TEST_CASE("hive_file: forked writers never lose an update") {
  test::temp_dir dir;
  auto path = dir / "registry.reg";
  constexpr int writers = 4;
  constexpr int per_writer = 50;
  std::vector<pid_t> children;
  for (int w = 0; w < writers; ++w) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      hive_file file{path};
      for (int i = 0; i < per_writer; ++i) {
        auto name = "w" + std::to_string(w) + "_" + std::to_string(i);
        auto ok = file.update([&](hive& h) -> caf::expected<void> {
          h.set(key, reg_value::dword(name, static_cast<uint32_t>(i)));
          return {};
        });
        if (!ok)
          ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (auto pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto result = hive_file{path}.load();
  REQUIRE(result);
  CHECK(result->find_key(key)->values.size() == writers * per_writer);
}

TEST_CASE("hive_watch: reports what another process changed within a second") {
  test::temp_dir dir;
  auto path = dir / "etc/registry.reg";
  hive_file file{path};
  REQUIRE(file.update([](hive& h) -> caf::expected<void> {
    h.set(key + "\\ScanOnDemand\\Vulnerability", reg_value::dword("ScanOnDemand", 0));
    h.set(key, reg_value::sz("Stays", "same"));
    return {};
  }));
  auto watch = hive_watch::open(path);
  REQUIRE(watch);
  auto quiet = watch->poll(std::chrono::milliseconds{0});
  REQUIRE(quiet);
  CHECK(quiet->empty());
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto ok = hive_file{path}.update([](hive& h) -> caf::expected<void> {
      h.set(key + "\\ScanOnDemand\\Vulnerability", reg_value::dword("ScanOnDemand", 1));
      h.set(key + "\\Logs", reg_value::dword("TraceLevel", 6));
      return {};
    });
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WEXITSTATUS(status) == 0);
  auto start = std::chrono::steady_clock::now();
  std::vector<hive_change> changes;
  while (changes.empty() && std::chrono::steady_clock::now() - start < std::chrono::seconds{1}) {
    auto polled = watch->poll(std::chrono::milliseconds{100});
    REQUIRE(polled);
    changes = *polled;
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{1});
  using kind = hive_change::kind;
  std::vector<hive_change> expected{
    {kind::value_set, key + "\\ScanOnDemand\\Vulnerability", "ScanOnDemand"},
    {kind::key_added, key + "\\Logs", ""},
    {kind::value_set, key + "\\Logs", "TraceLevel"},
  };
  CHECK(changes == expected);
  CHECK(watch->current().get(key + "\\Logs", "TraceLevel")->as_number() == 6u);
}

TEST_CASE("hive_diff: is_under matches a key and its subkeys only") {
  hive_change c{hive_change::kind::value_set, key + "\\ScanOnDemand\\UDC", "CpuLimit"};
  CHECK(is_under(c, key + "\\scanondemand"));
  CHECK_FALSE(is_under(c, key + "\\Scan"));
}

TEST_CASE("hive_watch: a wait without a timeout reports a change, and an interrupt ends it and "
          "every later wait at once") {
  test::temp_dir dir;
  auto path = dir / "etc/registry.reg";
  hive_file file{path};
  REQUIRE(file.update([](hive& h) -> caf::expected<void> {
    h.set(key, reg_value::sz("A", "1"));
    return {};
  }));
  auto opened = hive_watch::open(path);
  REQUIRE(opened);
  auto watch = std::make_shared<hive_watch>(std::move(*opened));
  CHECK_FALSE(watch->interrupted());
  // A change wakes a wait that has no timeout.
  std::promise<size_t> seen;
  std::thread waiter{[&] {
    // Other files of the directory (the hive's lock) wake it too, with no
    // change to report: it waits again.
    for (;;) {
      auto changes = watch->poll(std::chrono::milliseconds{-1});
      if (!changes || !changes->empty()) {
        seen.set_value(changes ? changes->size() : 0);
        return;
      }
    }
  }};
  REQUIRE(file.update([](hive& h) -> caf::expected<void> {
    h.set(key, reg_value::sz("A", "2"));
    return {};
  }));
  auto result = seen.get_future();
  CHECK(result.get() == 1);
  waiter.join();
  // An interrupt from another thread ends the next wait without any change,
  // and it stays interrupted.
  std::thread stopped{[&] { (void) watch->poll(std::chrono::milliseconds{-1}); }};
  watch->interrupt();
  stopped.join();
  CHECK(watch->interrupted());
  auto after = watch->poll(std::chrono::milliseconds{-1});
  REQUIRE(after);
  CHECK(after->empty());
}
