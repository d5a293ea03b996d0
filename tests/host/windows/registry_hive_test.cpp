#include "host/registry_hive.hpp"

#include <doctest/doctest.h>
#include <thread>

#include "common/error.hpp"
#include "host/hive_diff.hpp"
#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

const std::string root{agent_key};
const std::string sub = root + "\\ScanOnDemand\\Vulnerability";

caf::expected<void> ok() { return {}; }

} // namespace

TEST_CASE("registry_hive: a missing key is an empty hive") {
  test::temp_mount m;
  auto h = registry_hive{m.mount()}.load();
  REQUIRE(h);
  CHECK(h->empty());
}

TEST_CASE("registry_hive: every value type round-trips") {
  test::temp_mount m;
  registry_hive store{m.mount()};
  std::vector<reg_value> values = {
    reg_value::sz("Text", "h\xc3\xa9llo \xe2\x9c\x93"),
    reg_value::sz("", "the default value"),
    reg_value::sz("Empty", ""),
    reg_value::expand_sz("Expand", "%SystemRoot%\\Logs"),
    reg_value::multi_sz("Multi", {"one", "tw\xc3\xb6", "three"}),
    reg_value::multi_sz("NoItems", {}),
    reg_value::dword("Dword", 0xdeadbeef),
    reg_value::qword("Qword", 0x1122334455667788ull),
    reg_value::binary("Binary", {0, 1, 0x7f, 0x80, 0xff}),
    reg_value::raw("None", reg_type::none, {}),
    reg_value::raw("Odd", static_cast<reg_type>(0x10), {1, 2, 3}),
  };
  auto written = store.update([&](hive& h) {
    for (auto& v : values)
      h.set(sub, v);
    h.set(root, reg_value::sz("HostID", "{0D6B5A2C-0000-4000-8000-000000000001}"));
    return ok();
  });
  REQUIRE(written);
  auto loaded = store.load();
  REQUIRE(loaded);
  // The same keys and values; the registry may enumerate them in its own order.
  CHECK(diff(*written, *loaded).empty());
  for (auto& v : values) {
    auto* got = loaded->get(sub, v.name);
    REQUIRE_MESSAGE(got, v.name);
    CHECK_MESSAGE(*got == v, v.name);
  }
  CHECK(loaded->get(root, "hostid"));
}

TEST_CASE("registry_hive: keys and values removed leave the registry") {
  test::temp_mount m;
  registry_hive store{m.mount()};
  REQUIRE(store.update([&](hive& h) {
    h.set(sub, reg_value::dword("ScanOnDemand", 1));
    h.set(sub, reg_value::dword("CpuLimit", 50));
    h.set(root + "\\Logs", reg_value::dword("TraceLevel", 6));
    h.set(root + "\\Logs\\Deeper", reg_value::sz("x", "y"));
    return ok();
  }));
  REQUIRE(store.update([&](hive& h) {
    h.erase_value(sub, "cpulimit");
    h.remove_key(root + "\\Logs");
    return ok();
  }));
  auto loaded = store.load();
  REQUIRE(loaded);
  CHECK(loaded->get(sub, "ScanOnDemand"));
  CHECK_FALSE(loaded->get(sub, "CpuLimit"));
  CHECK_FALSE(loaded->find_key(root + "\\Logs"));
  CHECK_FALSE(loaded->find_key(root + "\\Logs\\Deeper"));
}

TEST_CASE("registry_hive: a failed or foreign change writes nothing") {
  test::temp_mount m;
  registry_hive store{m.mount()};
  REQUIRE(store.update([&](hive& h) {
    h.set(root, reg_value::dword("Kept", 1));
    return ok();
  }));
  auto failed = store.update([&](hive& h) {
    h.set(root, reg_value::dword("Kept", 2));
    return caf::expected<void>{make_error(ec::cancelled, "changed my mind")};
  });
  REQUIRE_FALSE(failed);
  CHECK(code_of(failed.error()) == ec::cancelled);
  auto foreign = store.update([&](hive& h) {
    h.set("HKEY_LOCAL_MACHINE\\SOFTWARE\\Other", reg_value::dword("x", 1));
    return ok();
  });
  REQUIRE_FALSE(foreign);
  CHECK(code_of(foreign.error()) == ec::invalid_argument);
  auto loaded = store.load();
  REQUIRE(loaded);
  CHECK(loaded->get(root, "Kept")->as_number() == 1u);
}

TEST_CASE("registry_hive: two threads updating at once never lose an update") {
  test::temp_mount m;
  constexpr int per_thread = 40;
  auto bump = [&] {
    registry_hive store{m.mount()};
    for (int i = 0; i < per_thread; ++i) {
      auto r = store.update([&](hive& h) {
        auto* v = h.get(root, "Counter");
        uint32_t n = v ? static_cast<uint32_t>(*v->as_number()) : 0;
        // Widen the window between read and write, so a missing lock shows
        // (checked: without the mutex this loses about half the updates).
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
        h.set(root, reg_value::dword("Counter", n + 1));
        return ok();
      });
      REQUIRE(r);
    }
  };
  std::thread a{bump}, b{bump};
  a.join();
  b.join();
  auto loaded = registry_hive{m.mount()}.load();
  REQUIRE(loaded);
  REQUIRE(loaded->get(root, "Counter"));
  CHECK(loaded->get(root, "Counter")->as_number() == 2u * per_thread);
}

TEST_CASE("registry_hive: the mutex is per mount and names no backslash after its namespace") {
  auto a = registry_hive::mutex_name(registry_mount::agent());
  CHECK(a == "Global\\Vigil.registry.hkey_local_machine/software/vigil/vigilagent");
  auto u = registry_hive::mutex_name(registry_mount::user("Software\\VigilTests\\1"));
  CHECK(u.rfind("Local\\", 0) == 0);
  CHECK(u.find('\\', 6) == std::string::npos);
}

TEST_CASE("registry_hive: removing a parent of agent_key removes the whole tree") {
  test::temp_mount m;
  registry_hive store{m.mount()};
  REQUIRE(store.update([&](hive& h) {
    h.set(sub, reg_value::dword("ScanOnDemand", 1));
    return ok();
  }));
  REQUIRE(store.update([&](hive& h) {
    h.remove_key("HKEY_LOCAL_MACHINE\\SOFTWARE");
    return ok();
  }));
  auto loaded = store.load();
  REQUIRE(loaded);
  CHECK(loaded->empty());
}
