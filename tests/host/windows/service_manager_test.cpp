#include "host/service_manager.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <sstream>
#include <vector>
#include <windows.h>

#include "common/error.hpp"
#include "host/command_line.hpp"
#include "host/process.hpp"
#include "host/service_host.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/windows/helper_program.hpp"
#include "tests/support/wait.hpp"

// The Windows service (host/windows/service_manager.cpp) and a program run
// as one (host/windows/service_host.cpp), through the real service control
// manager: each case registers host_windows_service_child.exe under a name of
// its own and removes it at the end. Under Wine the test program is the
// ordinary process that keeps the services alive (Wine stops them when the
// last one exits).

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path service_child() {
  return test::helper_program("host_windows_service_child.exe");
}

/// A service name no other case or run uses.
std::string unique_name(const std::string& what) {
  static int counter = 0;
  return "VigilTest" + what + "-" + std::to_string(::GetCurrentProcessId()) + "-"
         + std::to_string(::GetTickCount64()) + "-" + std::to_string(counter++);
}

windows_service_options child_service(const std::string& name, const fs::path& dir,
                                      const std::string& mode) {
  windows_service_options options;
  options.name = name;
  options.display_name = "Vigil test service " + name;
  options.program = service_child();
  options.args = {dir.string(), mode};
  options.deadline = 20s;
  return options;
}

std::string read_file(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Held while a case starts a service program, through the service manager
/// or directly: one at a time across the test processes ctest runs in
/// parallel. Wine's service programs find the control pipe of the service
/// started last (ServiceCurrent) without a check of who connects, so a program
/// run directly while another service starts takes that service's start.
class one_service_program_at_a_time {
public:
  one_service_program_at_a_time()
    : mutex_{::CreateMutexW(nullptr, FALSE, L"VigilServiceTestsOneProgramAtATime")} {
    REQUIRE(mutex_);
    auto waited = ::WaitForSingleObject(mutex_, 120000);
    REQUIRE((waited == WAIT_OBJECT_0 || waited == WAIT_ABANDONED));
  }
  ~one_service_program_at_a_time() {
    ::ReleaseMutex(mutex_);
    ::CloseHandle(mutex_);
  }
  one_service_program_at_a_time(const one_service_program_at_a_time&) = delete;
  one_service_program_at_a_time& operator=(const one_service_program_at_a_time&) = delete;

private:
  HANDLE mutex_;
};

/// Removes the service when a case ends, however it ends.
struct removed_at_end {
  service_manager& manager;
  ~removed_at_end() { (void) manager.remove(); }
};

/// A service handle for what the manager's interface does not show.
class opened_service {
public:
  explicit opened_service(const std::string& name) {
    scm_ = ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
    std::wstring wide(name.begin(), name.end());
    if (scm_)
      service_ = ::OpenServiceW(scm_, wide.c_str(), SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS);
    error_ = service_ ? 0 : ::GetLastError();
  }
  ~opened_service() {
    if (service_)
      ::CloseServiceHandle(service_);
    if (scm_)
      ::CloseServiceHandle(scm_);
  }
  opened_service(const opened_service&) = delete;
  opened_service& operator=(const opened_service&) = delete;

  SC_HANDLE get() const { return service_; }
  /// OpenServiceW's error when it failed.
  DWORD error() const { return error_; }

  SERVICE_STATUS_PROCESS status() const {
    SERVICE_STATUS_PROCESS s{};
    DWORD needed = 0;
    REQUIRE(::QueryServiceStatusEx(service_, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&s),
                                   sizeof(s), &needed));
    return s;
  }

  /// QueryServiceConfig2W at `level`, or nothing with the system's error in
  /// `*error`.
  std::vector<BYTE> config2(DWORD level, DWORD* error) const {
    std::vector<BYTE> buffer(8192);
    DWORD needed = 0;
    if (::QueryServiceConfig2W(service_, level, buffer.data(), static_cast<DWORD>(buffer.size()),
                               &needed)) {
      *error = 0;
      return buffer;
    }
    *error = ::GetLastError();
    return {};
  }

private:
  SC_HANDLE scm_ = nullptr;
  SC_HANDLE service_ = nullptr;
  DWORD error_ = 0;
};

} // namespace

TEST_CASE("windows service: install, start, stop and remove a service program") {
  one_service_program_at_a_time alone;
  test::temp_dir dir;
  auto name = unique_name("Life");
  auto manager = make_windows_service_manager(paths{dir.path() / "root"},
                                              child_service(name, dir.path(), "serve"));
  removed_at_end cleanup{*manager};
  CHECK(manager->kind() == "windows-service");

  REQUIRE(manager->install());
  // A second install (a reinstall, an upgrade) updates the service.
  REQUIRE(manager->install());
  {
    opened_service service{name};
    REQUIRE(service.get());
    std::vector<BYTE> buffer(8192);
    DWORD needed = 0;
    REQUIRE(::QueryServiceConfigW(service.get(), reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data()),
                                  static_cast<DWORD>(buffer.size()), &needed));
    auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data());
    CHECK(config->dwServiceType == SERVICE_WIN32_OWN_PROCESS);
    CHECK(config->dwStartType == SERVICE_AUTO_START);
    std::wstring command = config->lpBinaryPathName;
    CHECK(command == L"\"" + service_child().native() + L"\" "
                       + fs::path{quote_argument(dir.path().string())}.native() + L" serve");

    // Automatic (Delayed Start) and restarts after a failure, where the
    // service manager keeps them: Wine knows neither level
    // (ERROR_INVALID_LEVEL), and install leaves them out there.
    DWORD error = 0;
    auto delayed = service.config2(SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &error);
    if (error == ERROR_INVALID_LEVEL)
      MESSAGE("this service manager keeps no delayed automatic start (Wine)");
    else {
      REQUIRE(error == 0);
      CHECK(reinterpret_cast<SERVICE_DELAYED_AUTO_START_INFO*>(delayed.data())->fDelayedAutostart);
    }
    auto failure = service.config2(SERVICE_CONFIG_FAILURE_ACTIONS, &error);
    if (error == ERROR_INVALID_LEVEL)
      MESSAGE("this service manager keeps no failure actions (Wine)");
    else {
      REQUIRE(error == 0);
      auto* actions = reinterpret_cast<SERVICE_FAILURE_ACTIONSW*>(failure.data());
      REQUIRE(actions->cActions == 3);
      for (DWORD i = 0; i < actions->cActions; ++i)
        CHECK(actions->lpsaActions[i].Type == SC_ACTION_RESTART);
      CHECK(actions->lpsaActions[0].Delay == 5000);
    }
  }

  CHECK_FALSE(manager->running());
  REQUIRE(manager->start());
  CHECK(manager->running());
  // The body marks "started" before it says it is ready, and start returned
  // only once the service ran.
  CHECK(fs::exists(dir.path() / "started"));
  CHECK_FALSE(fs::exists(dir.path() / "stop-requested"));
  // Already running is success.
  CHECK(manager->start());

  REQUIRE(manager->stop());
  CHECK_FALSE(manager->running());
  CHECK(fs::exists(dir.path() / "stop-requested"));
  {
    opened_service service{name};
    REQUIRE(service.get());
    auto status = service.status();
    CHECK(status.dwCurrentState == SERVICE_STOPPED);
    CHECK(status.dwWin32ExitCode == NO_ERROR);
  }
  // The program returns from run_as_service once the service is stopped.
  CHECK(test::wait_until([&] { return fs::exists(dir.path() / "exited"); }, 10s));
  CHECK(read_file(dir.path() / "exited") == "0");
  // Stopping a stopped service is success.
  CHECK(manager->stop());

  REQUIRE(manager->remove());
  // Deleted once no handle holds it: the program's own are closed as it ends.
  CHECK(test::wait_until(
    [&] {
      opened_service gone{name};
      return !gone.get() && gone.error() == ERROR_SERVICE_DOES_NOT_EXIST;
    },
    10s));
  // Removing an absent service is success; so is stopping one.
  CHECK(manager->remove());
  CHECK(manager->stop());
  CHECK_FALSE(manager->running());
}

TEST_CASE("windows service: the agent's service by default, its program in quotes") {
  test::temp_dir dir;
  windows_service_options options;
  options.name = unique_name("Agent");
  options.display_name = "Vigil test agent " + options.name;
  auto root = dir.path() / "a root";
  auto manager = make_windows_service_manager(paths{root}, options);
  removed_at_end cleanup{*manager};
  REQUIRE(manager->install());
  opened_service service{options.name};
  REQUIRE(service.get());
  std::vector<BYTE> buffer(8192);
  DWORD needed = 0;
  REQUIRE(::QueryServiceConfigW(service.get(), reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data()),
                                static_cast<DWORD>(buffer.size()), &needed));
  std::wstring command = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data())->lpBinaryPathName;
  paths p{root};
  CHECK(command == L"\"" + (p.bin_dir() / L"vigil-agent.exe").native() + L"\" --service --root \""
                     + p.root().native() + L"\"");
  CHECK(windows_service_options{}.name == "VigilAgent");
  CHECK(windows_service_options{}.display_name == "Vigil Agent");
  CHECK(make_service_manager(paths{root})->kind() == "windows-service");
}

TEST_CASE("windows service: a program that ends at once fails the start, named") {
  one_service_program_at_a_time alone;
  test::temp_dir dir;
  SUBCASE("before it connects to the service manager") {
    auto name = unique_name("ExitNow");
    auto manager = make_windows_service_manager(paths{dir.path() / "root"},
                                                child_service(name, dir.path(), "exit-now"));
    removed_at_end cleanup{*manager};
    REQUIRE(manager->install());
    auto started = manager->start();
    REQUIRE_FALSE(started);
    auto context = context_of(started.error());
    MESSAGE(context);
    CHECK(context.find("start service " + name) != std::string::npos);
    CHECK(context.find("host_windows_service_child.exe") != std::string::npos);
    CHECK_FALSE(manager->running());
  }
  SUBCASE("as a service, before it is ready") {
    auto name = unique_name("FailStart");
    auto manager = make_windows_service_manager(paths{dir.path() / "root"},
                                                child_service(name, dir.path(), "fail-start"));
    removed_at_end cleanup{*manager};
    REQUIRE(manager->install());
    auto started = manager->start();
    REQUIRE_FALSE(started);
    auto context = context_of(started.error());
    MESSAGE(context);
    CHECK(context.find(name) != std::string::npos);
    CHECK(context.find("exit code 3") != std::string::npos);
    CHECK(fs::exists(dir.path() / "started"));
    CHECK(test::wait_until([&] { return !manager->running(); }, 10s));
  }
}

TEST_CASE("run_as_service: a program the service manager did not start is told so") {
  one_service_program_at_a_time alone;
  test::temp_dir dir;
  // Wine's dispatcher first waits for the control pipe of the service started
  // last when that one is still busy (up to its 10 s default wait).
  program_options patient;
  patient.timeout = 30s;
  auto run = run_program({service_child().string(), dir.path().string(), "serve"}, patient);
  REQUIRE(run);
  CHECK_FALSE(run->timed_out);
  CHECK(run->exit_code == 9);
  auto marker = read_file(dir.path() / "not-a-service");
  CHECK(marker.rfind("outside: ", 0) == 0);
  CHECK(marker.find("did not start this process") != std::string::npos);
  // The body never ran.
  CHECK_FALSE(fs::exists(dir.path() / "started"));
}

TEST_CASE("windows service: operations on a service that does not exist") {
  windows_service_options options;
  options.name = unique_name("Missing");
  auto manager = make_windows_service_manager(paths{paths::system_root()}, options);
  auto started = manager->start();
  REQUIRE_FALSE(started);
  CHECK(code_of(started.error()) == ec::not_found);
  CHECK(context_of(started.error()).find(options.name) != std::string::npos);
  CHECK_FALSE(manager->running());
  CHECK(manager->stop());
  CHECK(manager->remove());
}
