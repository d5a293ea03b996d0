// The service program service_manager_test.cpp registers: run_as_service
// (host/service_host.hpp) with marker files in the folder its first argument
// names, so the test sees what the service manager made it do.
//   service_child DIR serve       started, then ready; on a stop request,
//                                 "stop-requested", exit 0
//   service_child DIR fail-start  started, then exit 3 without being ready
//   service_child DIR exit-now    exit 2 at once, never a service
// Each marker appears whole (written beside, then renamed). When the service
// manager did not start it, it writes "not-a-service" (whether the error was
// the one run_as_service promises, and its text) and exits 9.
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>

#include "common/error.hpp"
#include "host/service_host.hpp"

namespace fs = std::filesystem;

namespace {

void mark(const fs::path& dir, const std::string& name, const std::string& text = {}) {
  auto temporary = dir / (name + ".part");
  if (FILE* f = ::_wfopen(temporary.c_str(), L"wb")) {
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  std::error_code ignored;
  fs::rename(temporary, dir / name, ignored);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3)
    return 100;
  fs::path dir{argv[1]};
  std::string mode = argv[2];
  if (mode == "exit-now")
    return 2;
  std::mutex mutex;
  std::condition_variable stop_asked;
  bool stop = false;
  vigil::service_body body;
  if (mode == "fail-start")
    body = [&](const std::function<void()>&) {
      mark(dir, "started");
      return 3;
    };
  else if (mode == "serve")
    body = [&](const std::function<void()>& ready) {
      mark(dir, "started");
      ready();
      std::unique_lock lock{mutex};
      stop_asked.wait(lock, [&] { return stop; });
      return 0;
    };
  else
    return 100;
  auto ran = vigil::run_as_service("VigilTestService", body, [&] {
    mark(dir, "stop-requested");
    std::lock_guard lock{mutex};
    stop = true;
    stop_asked.notify_all();
  });
  if (!ran) {
    mark(dir, "not-a-service",
         std::string{vigil::started_outside_service_manager(ran.error()) ? "outside" : "other"}
           + ": " + vigil::context_of(ran.error()));
    return 9;
  }
  mark(dir, "exited", std::to_string(*ran));
  return *ran;
}
