// A full disk under the agent's state (SPEC §9, issue 6): the agent keeps
// running, says what is wrong, and once space returns finishes the upload of
// the delta it held — nothing lost, nothing applied twice. The state directory
// is a real, small tmpfs filled to the last byte (root only: skipped otherwise).

#include <doctest/doctest.h>
#include <csignal>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "tests/actors/synced_host.hpp"

using namespace vigil;
using namespace vigil::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A tmpfs of `megabytes` mounted at `dir` (created), holding what `dir` held;
/// unmounted on destruction.
class small_filesystem {
public:
  small_filesystem(const fs::path& dir, int megabytes) : dir_{dir} {
    auto aside = dir.string() + ".before";
    fs::create_directories(dir);
    fs::rename(dir, aside);
    fs::create_directories(dir);
    auto options = "size=" + std::to_string(megabytes) + "m";
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
    fs::copy(aside, dir, fs::copy_options::recursive);
    fs::remove_all(aside);
  }
  ~small_filesystem() {
    if (mounted_)
      ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const noexcept { return mounted_; }

  /// Fills the filesystem with `filler` until a write fails for lack of space.
  void fill(const fs::path& filler) {
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    std::string block(64 * 1024, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    std::string byte(1, 'x');
    while (::write(fd, byte.data(), 1) > 0) {
    }
    ::close(fd);
  }

private:
  fs::path dir_;
  bool mounted_ = false;
};

} // namespace

TEST_CASE("disk full: the agent keeps running, reports it, and recovers its pending delta") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: mounting a small tmpfs needs root");
    return;
  }
  synced_host h{500};
  auto state = h.root / "var/opt/vigil/state";
  small_filesystem disk{state, 48};
  REQUIRE(disk.mounted());
  auto agent = start_agent(h.root);
  REQUIRE(h.wait_in_sync(60s));
  // A large delta (30,000 new packages) waits for the platform...
  h.platform.terminate();
  write_file(h.root / "var/lib/dpkg/status", dpkg_status(30000, [](int i) { return version_of(i) + "~new"; }));
  REQUIRE(h.scan_now("Vulnerability"));
  // ...when the disk fills up: the platform applies it, but the agent cannot
  // advance its baseline.
  disk.fill(state / "filler");
  h.platform.start();
  auto upload_log = [&] { return read_file(h.root / "var/opt/vigil/Log/Upload.log"); };
  if (!wait_until([&] { return upload_log().find("disk_full") != std::string::npos; }, 30s)) {
    h.dump_logs();
    FAIL_CHECK("Upload.log does not name disk_full:\n" << upload_log());
  }
  // A scan that cannot record its delta fails without taking the agent down;
  // the request stays 1 and is retried.
  write_file(h.root / "etc/ssh/sshd_config", "PermitRootLogin no\nAllowTcpForwarding no\n");
  REQUIRE(reg_add(h.root, "ScanOnDemand\\PolicyCompliance", "ScanOnDemand", "REG_DWORD", "1") == 0);
  auto delta_log = [&] { return read_file(h.root / "var/opt/vigil/Log/Delta.log"); };
  CHECK(wait_until([&] {
    return delta_log().find("PolicyCompliance: cannot record the delta: disk_full") != std::string::npos;
  }, 30s));
  CHECK(wait_until([&] { return on_demand_value(h.root, "PolicyCompliance") == 1u; }, 5s));
  CHECK_FALSE(agent->exited());
  // Space returns: the held delta completes, exactly once.
  fs::remove(state / "filler");
  REQUIRE(h.scan_now("PolicyCompliance", 60s)); // the retry records the change
  CHECK(h.wait_in_sync(120s));
  CHECK(applied_at_most_once(request_log(h.platform)));
  CHECK_FALSE(agent->exited());
  agent->signal(SIGTERM);
  CHECK(agent->wait() == 0);
}
