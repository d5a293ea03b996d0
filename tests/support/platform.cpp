#include "tests/support/platform.hpp"

#include <csignal>
#include <stdexcept>

#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {

platform_process::platform_process(std::filesystem::path data_dir, bool start_now)
  : platform_process(std::move(data_dir), {}, start_now) {
}

platform_process::platform_process(std::filesystem::path data_dir,
                                   std::vector<std::string> serve_args, bool start_now)
  : dir_{std::move(data_dir)}, serve_args_{std::move(serve_args)} {
  port_ = free_port();
  if (start_now)
    start();
}

platform_process::~platform_process() = default;

void platform_process::start() {
  auto log = dir_.string() + ".out";
  std::filesystem::remove(log);
  std::vector<std::string> argv{program("vigil-platform").string(), "serve", "--data-dir",
                                dir_.string(), "--listen", "127.0.0.1:" + std::to_string(port_)};
  argv.insert(argv.end(), serve_args_.begin(), serve_args_.end());
  process_ = std::make_unique<child_process>(argv, log);
  auto ready = wait_until(
    [&] {
      return read_file(log).find("listening https://") != std::string::npos || process_->exited();
    },
    std::chrono::seconds{20});
  if (!ready || process_->exited())
    throw std::runtime_error("vigil-platform did not start: " + read_file(log));
}

void platform_process::kill() {
  process_->signal(SIGKILL);
  process_->wait();
}

int platform_process::terminate() {
  process_->signal(SIGTERM);
  return process_->wait();
}

std::string platform_process::web_service_uri() const {
  return "https://127.0.0.1:" + std::to_string(port_) + "/CloudAgent/";
}

std::string platform_process::request_log() const {
  return read_file(dir_ / "requests.log");
}

std::pair<std::string, std::string> platform_process::create_customer(const std::string& modules) const {
  auto r = run({program("vigil-platform").string(), "customer", "create", "--data-dir",
                dir_.string(), "--modules", modules});
  if (r.exit_code != 0)
    throw std::runtime_error("customer create failed: " + r.err);
  auto value = [&](const std::string& name) {
    auto at = r.out.find(name + "=");
    if (at == std::string::npos)
      throw std::runtime_error("no " + name + " in: " + r.out);
    auto start = at + name.size() + 1;
    return r.out.substr(start, r.out.find('\n', start) - start);
  };
  return {value("CustomerId"), value("ActivationId")};
}

} // namespace vigil::test
