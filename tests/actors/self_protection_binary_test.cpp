// Self-protection end to end (issue 14, SPEC §13): the real agent installed by
// vigil-setup, protection turned on by a signed platform order; kills, file
// and hive tampering, vigil-spconfig, and the platform's view.

#include <doctest/doctest.h>
#include <thread>
#include <vector>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <random>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sha256.hpp"
#include "host/agent_status.hpp"
#include "host/paths.hpp"
#include "tests/support/agent.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// The pids of the processes whose command line names `root`: the built-in
/// supervisor (no --foreground) and the agent (--foreground).
struct agent_processes {
  int supervisor = 0;
  int agent = 0;
  std::vector<int> all; ///< every one found (a second, adopting supervisor too)
};

/// A /proc file's bytes; empty when the process is gone (reading a vanished
/// process's file fails with ESRCH, which std::ifstream turns into a throw).
std::string read_proc(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return {};
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return text;
}

agent_processes processes_of(const fs::path& root) {
  agent_processes found;
  std::error_code err;
  for (auto& entry : fs::directory_iterator{"/proc", err}) {
    auto name = entry.path().filename().string();
    if (!std::all_of(name.begin(), name.end(), ::isdigit))
      continue;
    auto text = read_proc(entry.path() / "cmdline");
    std::replace(text.begin(), text.end(), '\0', ' ');
    if (text.find("vigil-agent") == std::string::npos
        || text.find(root.string() + " ") == std::string::npos)
      continue;
    // A zombie has an empty command line; a process stopping is not counted.
    auto status = read_proc(entry.path() / "status");
    auto state = status.find("State:");
    if (state == std::string::npos || status.find('Z', state) < status.find('\n', state))
      continue; // gone, or a zombie
    (text.find("--foreground") != std::string::npos ? found.agent : found.supervisor) =
      std::stoi(name);
    found.all.push_back(std::stoi(name));
  }
  return found;
}

/// The last `count` lines of `file` (a log), for a failure's message.
std::string last_lines(const fs::path& file, size_t count) {
  auto text = test::read_file(file);
  auto from = text.size();
  for (size_t lines = 0; from > 0 && lines <= count; --from)
    if (text[from - 1] == '\n')
      ++lines;
  return text.substr(from == 0 ? 0 : from + 1); // after the newline that ended the search
}

/// SIGKILLs the supervisor and the agent of `root`, both at once (the
/// supervisor first), again whenever either is there, until neither has been
/// seen for 3 s — longer than either takes to start the other anew — or 20 s
/// have passed.
void kill_agent_processes(const fs::path& root) {
  auto quiet_since = std::chrono::steady_clock::now();
  test::wait_until([&] {
    auto p = processes_of(root);
    if (p.supervisor > 0)
      ::kill(p.supervisor, SIGKILL);
    for (int pid : p.all)
      ::kill(pid, SIGKILL);
    auto now = std::chrono::steady_clock::now();
    if (!p.all.empty())
      quiet_since = now;
    return now - quiet_since >= 3s;
  }, 20s);
}

/// A host installed by vigil-setup under the built-in supervisor, checking in
/// every second, with self-protection turned on by a signed order.
struct protected_host {
  test::temp_dir dir;
  test::platform_process platform{dir / "platform"};
  std::pair<std::string, std::string> ids = platform.create_customer("Vulnerability");
  fs::path root = dir / "host";

  protected_host() {
    REQUIRE(test::set_profile(platform, ids.second, {"CapiIntervalSeconds=1"}) == 0);
    test::install_agent(root, platform, ids);
    REQUIRE(test::wait_until([&] { return listed(); }, 20s));
    order(R"({"type":"self_protection","enabled":true})");
    REQUIRE(test::wait_until([&] { return protection_on(); }, 30s));
  }

  ~protected_host() {
    // As an administrator would: protection off with a key, then SIGTERM,
    // which the supervisor then obeys and passes on. (SIGKILLs alone raced
    // with the agent adopting a new supervisor and left agents running.)
    // Never a throw from here (a destructor): a test may have deleted the
    // programs, and test::run throws when it cannot start one.
    auto spconfig_program = root / "opt/vigil/bin/vigil-spconfig";
    std::error_code missing;
    if (fs::exists(spconfig_program, missing)) {
      try {
        auto key = test::run({test::program("vigil-platform").string(), "spfkey", "--data-dir",
                              platform.data_dir().string(), "--host", test::host_id_of(root)});
        if (auto at = key.out.find("SPFKEY="); key.exit_code == 0 && at != std::string::npos) {
          auto value = key.out.substr(at + 7);
          test::run({spconfig_program.string(), "--root", root.string(),
                     "SPFKEY=" + value.substr(0, value.find('\n'))});
        }
      } catch (const std::exception&) {
        // SIGKILLs below
      }
    }
    if (auto p = processes_of(root); p.supervisor > 0) {
      ::kill(p.supervisor, SIGTERM);
      test::wait_until([&] {
        auto now = processes_of(root);
        return now.supervisor == 0 && now.agent == 0;
      }, 10s);
    }
    // Whatever is left (one may have started the other anew meanwhile).
    kill_agent_processes(root);
  }

  bool listed() const {
    return test::listed(platform, test::host_id_of(root));
  }

  nlohmann::json asset() const {
    auto id = test::host_id_of(root);
    for (auto& h : test::assets(platform))
      if (h["host_id"] == id)
        return h;
    return nlohmann::json::object();
  }

  void order(const std::string& json) {
    auto r = test::run({test::program("vigil-platform").string(), "order", "add", "--data-dir",
                        platform.data_dir().string(), "--host", test::host_id_of(root), "--order",
                        json});
    CAPTURE(r.err);
    REQUIRE(r.exit_code == 0);
  }

  bool protection_on() const {
    auto s = load_agent_status(paths{root});
    return s && s->self_protection;
  }

  std::string spfkey(const std::string& valid = "24h") const {
    auto r = test::run({test::program("vigil-platform").string(), "spfkey", "--data-dir",
                        platform.data_dir().string(), "--host", test::host_id_of(root), "--valid",
                        valid});
    REQUIRE(r.exit_code == 0);
    auto at = r.out.find("SPFKEY=");
    REQUIRE(at != std::string::npos);
    auto key = r.out.substr(at + 7);
    return key.substr(0, key.find('\n'));
  }

  test::process_result spconfig(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{(root / "opt/vigil/bin/vigil-spconfig").string(), "--root",
                                  root.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv);
  }

  /// The journal's events for `target`.
  std::vector<nlohmann::json> tamper_events(const std::string& target) const {
    std::vector<nlohmann::json> events;
    std::ifstream in{root / "var/opt/vigil/state/tamper-events.jsonl"};
    for (std::string line; std::getline(in, line);) {
      auto e = nlohmann::json::parse(line, nullptr, false);
      if (!e.is_discarded() && e.value("target", "") == target)
        events.push_back(e);
    }
    return events;
  }
};

std::string file_sha(const fs::path& file) {
  return sha256_hex(test::read_file(file));
}

unsigned mode_of(const fs::path& file) {
  struct stat st{};
  return ::lstat(file.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

} // namespace

TEST_CASE("self-protection: SIGKILLs of the supervisor and the agent, at random moments and in "
          "random order, are each followed by both running again within 5 s") {
  protected_host h;
  std::mt19937_64 random{test::test_seed("kill targets and moments")};
  std::vector<double> seconds;
  for (int kill = 0; kill < 20;) {
    bool supervisor = random() % 2 == 0;
    // A random moment: 0-1.5 s after both run again.
    auto pause = std::chrono::milliseconds{random() % 1500};
    auto until = std::chrono::steady_clock::now() + pause;
    test::wait_until([&] { return std::chrono::steady_clock::now() >= until; }, 2s);
    auto before = processes_of(h.root);
    REQUIRE(before.supervisor > 0);
    REQUIRE(before.agent > 0);
    int victim = supervisor ? before.supervisor : before.agent;
    auto killed_at = std::chrono::steady_clock::now();
    if (::kill(victim, SIGKILL) != 0)
      continue; // a process that was just ending (a daemonizing parent): pick again
    ++kill;
    bool back = test::wait_until([&] {
      auto now = processes_of(h.root);
      return now.supervisor > 0 && now.agent > 0 && now.supervisor != victim
             && now.agent != victim;
    }, 10s);
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
    CAPTURE(kill);
    CAPTURE(supervisor);
    CHECK(back);
    seconds.push_back(took);
  }
  std::sort(seconds.begin(), seconds.end());
  MESSAGE("20 SIGKILLs: median " << seconds[seconds.size() / 2] << " s, worst " << seconds.back()
                                 << " s");
  CHECK(seconds.back() < 5.0);
  // The agent's own restarts say why, and it still checks in.
  auto checked = load_agent_status(paths{h.root});
  REQUIRE(checked);
  auto since = unix_now();
  CHECK(test::wait_until([&] {
    auto s = load_agent_status(paths{h.root});
    return s && s->last_checkin >= since;
  }, 20s));
}

TEST_CASE("self-protection: a program file replaced, appended to, deleted or chmod-ed is "
          "restored within 10 s and reported with the process that did it") {
  protected_host h;
  auto file = h.root / "opt/vigil/bin/vigil-reg";
  auto original = file_sha(file);
  auto original_mode = mode_of(file);
  struct tamper {
    std::string what;
    std::string command;
    std::string exe; ///< what the reported executable names ("": gone too soon to say)
  };
  // Appending and replacing are done by the shell itself (builtins), which
  // stays a moment, so /proc still names it when the agent reads the event;
  // rm and chmod end at once, so only their pid is certain.
  auto f = file.string();
  for (auto& t : {tamper{"content changed", "echo extra >> " + f + "; sleep 1", "sh"},
                  tamper{"content changed", "printf replaced > " + f + "; sleep 1", "sh"},
                  tamper{"deleted", "rm -f " + f + "; sleep 1", ""},
                  tamper{"mode changed", "chmod 0777 " + f + "; sleep 1", ""}}) {
    CAPTURE(t.command);
    auto events_before = h.tamper_events("bin/vigil-reg").size();
    auto started = std::chrono::steady_clock::now();
    auto shell = std::make_unique<test::child_process>(std::vector<std::string>{"/bin/sh", "-c", t.command});
    bool restored = test::wait_until([&] {
      return fs::exists(file) && file_sha(file) == original && mode_of(file) == original_mode
             && h.tamper_events("bin/vigil-reg").size() > events_before;
    }, 10s);
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    CHECK(restored);
    MESSAGE(t.what << ": restored in " << took << " s");
    shell->wait();
    auto events = h.tamper_events("bin/vigil-reg");
    REQUIRE(events.size() > events_before);
    auto& e = events.back();
    CHECK(e["what"] == t.what);
    CHECK(e["action"] == "restored");
    CHECK(e["pid"].get<int64_t>() > 0);
    if (!t.exe.empty()) {
      CHECK(e["exe"].get<std::string>().find(t.exe) != std::string::npos);
      CHECK(e["uid"] == 0);
    }
  }
  // The platform lists them for the host.
  CHECK(test::wait_until([&] {
    auto a = h.asset();
    return a.contains("tamper_events") && a["tamper_events"].size() >= 4;
  }, 20s));
  // The health report says so.
  auto status = load_agent_status(paths{h.root});
  REQUIRE(status);
  CHECK(status->tamper_events >= 4);
  CHECK(status->last_tamper.find("bin/vigil-reg") != std::string::npos);
}

TEST_CASE("self-protection: a protected host removed around its own scripts (both processes "
          "killed at once, program files deleted) is flagged by the platform as silent") {
  protected_host h;
  REQUIRE(test::wait_until([&] { return h.asset().value("self_protection", false); }, 20s));
  CHECK_FALSE(h.asset().contains("silent_protected_s"));
  kill_agent_processes(h.root);
  std::error_code ignored;
  fs::remove_all(h.root / "opt/vigil", ignored);
  kill_agent_processes(h.root);
  // Three check-in intervals of 1 s without a word.
  CHECK(test::wait_until([&] { return h.asset().contains("silent_protected_s"); }, 20s));
  auto a = h.asset();
  CHECK(a.value("silent_protected_s", int64_t{0}) > 3);
  CHECK(a.value("self_protection", false));
}

TEST_CASE("self-protection: a SIGTERM from another process is ignored while protection is on; "
          "with protection off (vigil-spconfig and a key) it stops the agent") {
  protected_host h;
  auto before = processes_of(h.root);
  REQUIRE(before.supervisor > 0);
  REQUIRE(before.agent > 0);
  ::kill(before.agent, SIGTERM);
  ::kill(before.supervisor, SIGTERM);
  auto me = "from pid " + std::to_string(::getpid()) + " ignored";
  auto log = [&](const std::string& module) {
    return test::read_file(h.root / "var/opt/vigil/Log" / (module + ".log"));
  };
  CHECK(test::wait_until(
    [&] { return log("Agent").find(me) != std::string::npos
                 && log("SelfProtection").find(me) != std::string::npos; },
    15s));
  auto after = processes_of(h.root);
  CHECK(after.supervisor == before.supervisor);
  CHECK(after.agent == before.agent);
  REQUIRE(h.spconfig({"SPFKEY=" + h.spfkey()}).exit_code == 0);
  ::kill(before.supervisor, SIGTERM);
  CHECK(test::wait_until(
    [&] {
      auto now = processes_of(h.root);
      return now.supervisor == 0 && now.agent == 0;
    },
    20s));
}

TEST_CASE("self-protection: a protected hive value changed is restored and reported; "
          "ScanOnDemand stays writable and starts a scan") {
  protected_host h;
  auto customer = h.ids.first;
  REQUIRE(test::reg_add(h.root, "", "CustomerId", "REG_SZ",
                        "{11111111-2222-3333-4444-555555555555}") == 0);
  CHECK(test::wait_until([&] {
    auto text = test::read_file(h.root / "etc/opt/vigil/registry.reg");
    return text.find(customer) != std::string::npos && !h.tamper_events(
      std::string{"HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent\\CustomerId"}).empty();
  }, 10s));
  auto events = h.tamper_events("HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent\\CustomerId");
  REQUIRE_FALSE(events.empty());
  CHECK(events.back()["what"] == "value changed");
  CHECK(events.back()["action"] == "restored");
  // vigil-reg wrote it (it has ended by then: its pid is what is certain).
  CHECK(events.back()["pid"].get<int64_t>() > 0);
  // Turning protection off by hand is tampering too.
  REQUIRE(test::reg_add(h.root, "SelfProtection", "Enabled", "REG_DWORD", "0") == 0);
  CHECK(test::wait_until([&] {
    return h.spconfig({}).out.find("SelfProtection=on") != std::string::npos
           && !h.tamper_events(
                  "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent\\SelfProtection\\Enabled")
                 .empty();
  }, 10s));
  // What administrators may write stays writable.
  REQUIRE(test::reg_add(h.root, "ScanOnDemand\\Vulnerability", "ScanOnDemand", "REG_DWORD", "1")
          == 0);
  CHECK(test::wait_until([&] {
    return test::read_file(h.root / "var/opt/vigil/Log/Vulnerability.log")
             .find("on-demand scan of Vulnerability started")
           != std::string::npos;
  }, 30s));
}

TEST_CASE("vigil-spconfig: shows the state; refuses a bad key; a valid key turns protection "
          "off (a changed file is left alone) until the platform turns it on again") {
  protected_host h;
  auto shown = h.spconfig({});
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find("SelfProtection=on") != std::string::npos);
  auto key = h.spfkey();
  auto tampered = key;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  auto refused = h.spconfig({"SPFKEY=" + tampered});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("signature_invalid") != std::string::npos);
  CHECK(refused.err.find(tampered) == std::string::npos);
  CHECK(h.spconfig({}).out.find("SelfProtection=on") != std::string::npos);

  auto off = h.spconfig({"SPFKEY=" + key});
  CAPTURE(off.err);
  REQUIRE(off.exit_code == 0);
  CHECK(off.out.find("SelfProtection=off") != std::string::npos);
  CHECK(test::wait_until([&] { return !h.protection_on(); }, 10s));
  // A used key is not taken twice.
  CHECK(h.spconfig({"SPFKEY=" + key}).err.find("replayed_metadata") != std::string::npos);
  auto file = h.root / "opt/vigil/bin/vigil-reg";
  auto original = file_sha(file);
  REQUIRE(test::run({"/bin/sh", "-c", "echo extra >> " + file.string()}).exit_code == 0);
  // Left alone: three seconds is three protector rounds.
  auto until = std::chrono::steady_clock::now() + 3s;
  test::wait_until([&] { return std::chrono::steady_clock::now() >= until; }, 4s);
  CHECK(file_sha(file) != original);
  // The platform turns it on again: the file is restored.
  h.order(R"({"type":"self_protection","enabled":true})");
  CHECK(test::wait_until([&] { return h.protection_on() && file_sha(file) == original; }, 30s));
}

TEST_CASE("self-protection: the agent's processes are not dumpable: another user cannot read "
          "their memory or environment, nor a root process without CAP_SYS_PTRACE") {
  protected_host h;
  auto p = processes_of(h.root);
  REQUIRE(p.agent > 0);
  REQUIRE(p.supervisor > 0);
  auto read_as = [](const std::vector<std::string>& who, int pid) {
    std::vector<std::string> argv{"/usr/bin/setpriv"};
    argv.insert(argv.end(), who.begin(), who.end());
    argv.insert(argv.end(), {"/bin/cat", "/proc/" + std::to_string(pid) + "/environ"});
    return test::run(argv);
  };
  const std::vector<std::string> other_user{"--reuid=65534", "--regid=65534", "--clear-groups"};
  const std::vector<std::string> root_without_ptrace{"--inh-caps=-sys_ptrace",
                                                     "--bounding-set=-sys_ptrace"};
  for (int pid : {p.agent, p.supervisor}) {
    CAPTURE(pid);
    auto r = read_as(other_user, pid);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("Permission denied") != std::string::npos);
  }
  // Root without CAP_SYS_PTRACE reads a dumpable root process, not a
  // non-dumpable one: where the kernel enforces that (a control process that
  // made itself non-dumpable shows it), the agent's processes are refused too.
  auto control = std::make_unique<test::child_process>(std::vector<std::string>{
    "/usr/bin/python3", "-c",
    "import ctypes, time; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); time.sleep(10)"});
  REQUIRE(test::wait_until([&] {
    return test::read_file("/proc/" + std::to_string(control->pid()) + "/cmdline").find("time")
           != std::string::npos;
  }, 5s));
  if (read_as(root_without_ptrace, control->pid()).exit_code == 0) {
    MESSAGE("this kernel lets root without CAP_SYS_PTRACE read a non-dumpable process "
            "(a sandbox): the root part of this test is skipped");
  } else {
    for (int pid : {p.agent, p.supervisor}) {
      CAPTURE(pid);
      CHECK(read_as(root_without_ptrace, pid).exit_code != 0);
    }
  }
  control->signal(SIGKILL);
}

TEST_CASE("orders under fire: 10 scan orders while the agent is SIGKILLed 10 times are each "
          "carried out and acknowledged once; an uninstall order then removes a protected "
          "agent without an SPFKEY") {
  protected_host h;
  std::mt19937_64 random{test::test_seed("order and kill moments")};
  std::vector<std::string> ids;
  auto add_order = [&] {
    auto r = test::run({test::program("vigil-platform").string(), "order", "add", "--data-dir",
                        h.platform.data_dir().string(), "--host", test::host_id_of(h.root),
                        "--order", R"({"type":"scan","module":"Vulnerability"})"});
    REQUIRE(r.exit_code == 0);
    auto at = r.out.find("OrderId=");
    REQUIRE(at != std::string::npos);
    auto id = r.out.substr(at + 8);
    ids.push_back(id.substr(0, id.find('\n')));
  };
  for (int i = 0; i < 10; ++i) {
    add_order();
    // A random moment within the next check-in or two, then the agent dies.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{random() % 2000};
    test::wait_until([&] { return std::chrono::steady_clock::now() >= until; }, 3s);
    auto p = processes_of(h.root);
    // When none runs, what the supervisor and the agent last said.
    CAPTURE(p.agent == 0 ? last_lines(h.root / "var/opt/vigil/Log/Agent.log", 40) : "");
    REQUIRE(p.agent > 0);
    ::kill(p.agent, SIGKILL);
    REQUIRE(test::wait_until([&] {
      auto now = processes_of(h.root);
      return now.agent > 0 && now.agent != p.agent;
    }, 5s));
  }
  auto log = [&] { return test::read_file(h.platform.data_dir() / "orders.log"); };
  auto count = [&](const std::string& needle) {
    auto text = log();
    size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
      ++n;
    return n;
  };
  CHECK(test::wait_until([&] {
    return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
      return count("order=" + id + " type=scan done") == 1;
    });
  }, 60s));
  // Still exactly one acknowledgement each, several check-ins later.
  auto before = h.platform.request_log().size();
  CHECK(test::wait_until([&] { return h.platform.request_log().size() > before + 200; }, 20s));
  for (auto& id : ids) {
    CAPTURE(id);
    CHECK(count("order=" + id + " type=scan done") == 1);
  }
  // The platform's uninstall order is authority enough: protection goes off
  // first, then vigil-uninstall runs.
  auto r = test::run({test::program("vigil-platform").string(), "order", "add", "--data-dir",
                      h.platform.data_dir().string(), "--host", test::host_id_of(h.root),
                      "--order", R"({"type":"uninstall"})"});
  REQUIRE(r.exit_code == 0);
  CHECK(test::wait_until([&] { return !h.listed(); }, 30s));
  CHECK(test::wait_until([&] { return !fs::exists(h.root / "opt/vigil/bin/vigil-agent"); }, 30s));
  CHECK(test::wait_until([&] {
    auto p = processes_of(h.root);
    return p.agent == 0 && p.supervisor == 0;
  }, 30s));
}

TEST_CASE("self-protection: the reference copy is checked against the platform's signed release "
          "metadata; a forged reference list is reported, and nothing is restored from it") {
  protected_host h;
  auto version = test::read_file(h.root / "opt/vigil/VERSION");
  version.erase(version.find_last_not_of("\r\n ") + 1);
  // The platform publishes the release this host runs: its metadata signs
  // the list of program files, and the check-in offers it.
  auto added = test::run({test::program("vigil-platform").string(), "release", "add",
                          "--data-dir", h.platform.data_dir().string(),
                          test::program("vigil-setup").string()});
  CAPTURE(added.err);
  REQUIRE(added.exit_code == 0);
  REQUIRE(test::set_profile(h.platform, h.ids.second,
                            {"CapiIntervalSeconds=1", "TargetVersion=" + version})
          == 0);
  auto log = [&] { return test::read_file(h.root / "var/opt/vigil/Log/SelfProtection.log"); };
  CHECK(test::wait_until(
    [&] { return log().find("matches the signed release metadata") != std::string::npos; }, 30s));
  CHECK(h.tamper_events("reference list").empty());

  // Root on the host forges the reference copy: bin/vigil-reg's entry and
  // copy now name a program of its own, as if setup had installed it...
  auto program = h.root / "opt/vigil/bin/vigil-reg";
  auto genuine = file_sha(program);
  auto pristine = h.root / "var/opt/vigil/state/pristine" / version;
  std::string forged = "#!/bin/sh\necho forged\n";
  { std::ofstream{pristine / "bin/vigil-reg", std::ios::trunc} << forged; }
  auto list = nlohmann::json::parse(test::read_file(pristine / "files.json"));
  bool found = false;
  for (auto& f : list["files"])
    if (f["path"] == "bin/vigil-reg") {
      f["sha256"] = sha256_hex(forged);
      f["size"] = forged.size();
      found = true;
    }
  REQUIRE(found);
  { std::ofstream{pristine / "files.json", std::ios::trunc} << list.dump(1); }
  // ...and kills the agent, so that the forged list is read again: by the
  // supervisor's repair before the restart, then by the new agent.
  auto before = processes_of(h.root);
  REQUIRE(before.agent > 0);
  ::kill(before.agent, SIGKILL);
  CHECK(test::wait_until([&] { return !h.tamper_events("reference list").empty(); }, 20s));
  CHECK(test::wait_until([&] {
    auto now = processes_of(h.root);
    return now.agent > 0 && now.agent != before.agent;
  }, 10s));
  auto events = h.tamper_events("reference list");
  REQUIRE_FALSE(events.empty());
  CHECK(events.back()["what"].get<std::string>().find(
          "does not match the signed release metadata") != std::string::npos);
  CHECK(events.back()["action"].get<std::string>().find("not restored") != std::string::npos);
  // The genuine program is still in place: the forgery was never "restored".
  CHECK(file_sha(program) == genuine);
  // The platform lists the event for the host.
  CHECK(test::wait_until([&] {
    auto a = h.asset();
    if (!a.contains("tamper_events"))
      return false;
    for (auto& e : a["tamper_events"])
      if (e.value("target", "") == "reference list")
        return true;
    return false;
  }, 20s));
}
