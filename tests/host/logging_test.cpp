#include "host/logging.hpp"

#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>

#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "common/redact.hpp"
#include "host/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
namespace lvl = spdlog::level;
using vigil::log_destination;
using vigil::log_manager;
using vigil::log_module;
using vigil::log_options;
using vigil::paths;
using vigil::test::read_file;
using vigil::test::temp_dir;
using vigil::test::write_file;

namespace {

/// Test managers flush only when told to, so nothing depends on timing.
log_options quiet_options() {
  log_options options;
  options.flush_interval = std::chrono::milliseconds{0};
  return options;
}

std::string module_file(const log_manager& logs, log_module module) {
  return read_file(logs.directory() / (std::string{vigil::to_string(module)} + ".log"));
}

/// Every file under `root`, concatenated with its name.
std::string all_files(const fs::path& root) {
  std::string out;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file())
      out += entry.path().string() + "\n" + read_file(entry.path()) + "\n";
  return out;
}

/// Sends file descriptor 2 to a file while alive.
class stderr_capture {
public:
  explicit stderr_capture(fs::path file) : file_{std::move(file)} {
    std::fflush(stderr);
    saved_ = ::dup(2);
    int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~stderr_capture() { restore(); }
  std::string text() {
    restore();
    return read_file(file_);
  }

private:
  void restore() {
    if (saved_ < 0)
      return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  fs::path file_;
  int saved_ = -1;
};

} // namespace

TEST_CASE("logging: module names follow SPEC §15 exactly") {
  std::string names;
  for (auto module : vigil::all_log_modules)
    names += std::string{vigil::to_string(module)} + " ";
  CHECK(names == "Agent Provision Config Proxy Network Inventory Vulnerability PolicyCompliance "
                 "UDC SCA Delta Upload SelfPatch SelfProtection ");
  CHECK(vigil::parse_log_module("policycompliance") == log_module::policy_compliance);
  CHECK(vigil::parse_log_module("UDC") == log_module::udc);
  CHECK_FALSE(vigil::parse_log_module("Kernel").has_value());
}

TEST_CASE("logging: TraceLevel 0-6 and profile level names map to spdlog levels") {
  CHECK(vigil::level_of_trace_level(0) == lvl::off);
  CHECK(vigil::level_of_trace_level(1) == lvl::critical);
  CHECK(vigil::level_of_trace_level(2) == lvl::err);
  CHECK(vigil::level_of_trace_level(3) == lvl::warn);
  CHECK(vigil::level_of_trace_level(4) == lvl::info);
  CHECK(vigil::level_of_trace_level(5) == lvl::debug);
  CHECK(vigil::level_of_trace_level(6) == lvl::trace);
  CHECK_FALSE(vigil::level_of_trace_level(7).has_value());
  CHECK(vigil::parse_log_level("Warning") == lvl::warn);
  CHECK(vigil::parse_log_level("DEBUG") == lvl::debug);
  CHECK_FALSE(vigil::parse_log_level("loud").has_value());
}

TEST_CASE("logging: each module writes its own file in the Log dir") {
  temp_dir root;
  paths p{root.path()};
  log_manager logs{p, quiet_options()};
  CHECK(logs.destination() == log_destination::log_dir);
  CHECK(logs.directory() == p.log_dir());
  for (auto module : vigil::all_log_modules)
    logs.get(module)->info("hello from module {}", vigil::to_string(module));
  logs.flush();
  for (auto module : vigil::all_log_modules) {
    auto text = module_file(logs, module);
    CAPTURE(vigil::to_string(module));
    CHECK(text.find(std::string{"hello from module "} + vigil::to_string(module) + "\n") !=
          std::string::npos);
    CHECK(text.find("hello from module") == text.rfind("hello from module")); // only its own line
  }
  CHECK_FALSE(fs::exists(p.fallback_log_dir()));
}

TEST_CASE("logging: a Log dir that is a regular file sends logs to the fallback dir") {
  temp_dir root;
  paths p{root.path()};
  write_file(p.log_dir(), "not a directory");
  log_manager logs{p, quiet_options()};
  CHECK(logs.destination() == log_destination::fallback_dir);
  CHECK(logs.directory() == p.fallback_log_dir());
  logs.get(log_module::upload)->info("upload line");
  logs.flush();
  CHECK(read_file(p.fallback_log_dir() / "Upload.log").find("upload line") != std::string::npos);
  // The reason is in the fallback Agent log, naming the unusable directory.
  auto agent = read_file(p.fallback_log_dir() / "Agent.log");
  CHECK(agent.find(p.log_dir().string() + " is not writable") != std::string::npos);
  CHECK(read_file(p.log_dir()) == "not a directory");
}

TEST_CASE("logging: a Log dir whose parent is a file sends logs to the fallback dir") {
  temp_dir root;
  paths p{root.path()};
  write_file(p.program_data(), "a file where var/opt/vigil should be");
  log_manager logs{p, quiet_options()};
  CHECK(logs.destination() == log_destination::fallback_dir);
  logs.get(log_module::config)->info("config line");
  logs.flush();
  CHECK(read_file(p.fallback_log_dir() / "Config.log").find("config line") != std::string::npos);
}

TEST_CASE("logging: with no writable directory, logs go redacted to stderr") {
  temp_dir root;
  paths p{root.path()};
  write_file(p.log_dir(), "file");
  write_file(p.fallback_log_dir(), "file");
  vigil::register_secret("stderr-Secret-9f2");
  std::string captured;
  {
    stderr_capture capture{root / "stderr.txt"};
    log_manager logs{p, quiet_options()};
    CHECK(logs.destination() == log_destination::standard_error);
    CHECK(logs.directory().empty());
    logs.get(log_module::proxy)->info("to stderr stderr-Secret-9f2 done");
    logs.flush();
    captured = capture.text();
  }
  CHECK(captured.find("[Proxy] [info]") != std::string::npos);
  CHECK(captured.find("to stderr *** done") != std::string::npos);
  CHECK(captured.find("stderr-Secret-9f2") == std::string::npos);
  CHECK(captured.find("logging to stderr") != std::string::npos);
}

TEST_CASE("logging: warnings reach the file without an explicit flush") {
  temp_dir root;
  log_manager logs{paths{root.path()}, quiet_options()};
  logs.get(log_module::network)->warn("proxy p1 refused the connection");
  CHECK(module_file(logs, log_module::network).find("[warning] ") != std::string::npos);
  CHECK(module_file(logs, log_module::network).find("proxy p1 refused") != std::string::npos);
}

TEST_CASE("logging: the periodic flush writes info lines without an explicit flush") {
  temp_dir root;
  auto options = quiet_options();
  options.flush_interval = std::chrono::milliseconds{20};
  log_manager logs{paths{root.path()}, options};
  logs.get(log_module::vulnerability)->info("flushed by the timer");
  CHECK(vigil::test::wait_until(
    [&] {
      return module_file(logs, log_module::vulnerability).find("flushed by the timer") !=
             std::string::npos;
    },
    std::chrono::seconds{10}));
}

TEST_CASE("logging: TraceLevel overrides the profile level live, on every module") {
  temp_dir root;
  log_manager logs{paths{root.path()}, quiet_options()};
  auto inventory = logs.get(log_module::inventory);
  auto delta = logs.get(log_module::delta);
  CHECK(logs.level() == lvl::info);

  CHECK(logs.set_trace_level_override(6u));
  CHECK(logs.level() == lvl::trace);
  inventory->debug("debug-at-6");
  inventory->trace("trace-at-6");
  delta->debug("delta-debug-at-6");
  logs.flush();
  CHECK(module_file(logs, log_module::inventory).find("debug-at-6") != std::string::npos);
  CHECK(module_file(logs, log_module::inventory).find("trace-at-6") != std::string::npos);
  CHECK(module_file(logs, log_module::delta).find("delta-debug-at-6") != std::string::npos);

  CHECK(logs.set_trace_level_override(2u));
  inventory->info("info-at-2");
  inventory->error("error-at-2");
  logs.flush();
  CHECK(module_file(logs, log_module::inventory).find("info-at-2") == std::string::npos);
  CHECK(module_file(logs, log_module::inventory).find("error-at-2") != std::string::npos);

  // The profile changes underneath, but the override still wins.
  logs.set_profile_level(lvl::debug);
  CHECK(logs.level() == lvl::err);

  CHECK(logs.set_trace_level_override(std::nullopt));
  CHECK(logs.level() == lvl::debug);
  logs.set_profile_level(lvl::info);
  inventory->info("info-after-removal");
  inventory->debug("debug-after-removal");
  logs.flush();
  CHECK(module_file(logs, log_module::inventory).find("info-after-removal") != std::string::npos);
  CHECK(module_file(logs, log_module::inventory).find("debug-after-removal") == std::string::npos);
  // Loggers are never recreated: handles kept by callers stay current.
  CHECK(logs.get(log_module::inventory) == inventory);
}

TEST_CASE("logging: an out-of-range TraceLevel is ignored with one warning") {
  temp_dir root;
  log_manager logs{paths{root.path()}, quiet_options()};
  logs.set_profile_level(lvl::warn);
  CHECK(logs.set_trace_level_override(5u));
  CHECK(logs.level() == lvl::debug);
  CHECK_FALSE(logs.set_trace_level_override(9u));
  CHECK(logs.level() == lvl::warn);
  CHECK_FALSE(logs.set_trace_level_override(9u));
  logs.flush();
  auto agent = module_file(logs, log_module::agent);
  auto first = agent.find("Logs\\TraceLevel 9 is outside 0-6");
  CHECK(first != std::string::npos);
  CHECK(agent.find("Logs\\TraceLevel 9", first + 1) == std::string::npos);
}

TEST_CASE("logging: no secret reaches any file, the text around it does") {
  temp_dir root;
  paths p{root.path()};
  const std::string password = "Pw-7c41-registered!";
  vigil::register_secret(password);
  {
    log_manager logs{p, quiet_options()};
    auto proxy = logs.get(log_module::proxy);
    proxy->info("plain-marker {} end-plain", password);
    proxy->info("assign-marker password={} end-assign", password);
    proxy->info("header-marker Proxy-Authorization: Bearer {}\r\nend-header", password);
    proxy->info("url-marker http://alice:{}@proxy.local:3128/ end-url", password);
    proxy->warn("json-marker {{\"password\":\"{}\"}} end-json", password);
    logs.get(log_module::config)->error("unregistered password=NeverRegistered42 end-unreg");
    logs.get(log_module::self_protection)->info("uninstall SPFKEY=k3y-unregistered end-spf");
    logs.flush();
  }
  auto everything = all_files(root.path());
  CHECK(everything.find(password) == std::string::npos);
  CHECK(everything.find("Pw-7c41") == std::string::npos);
  CHECK(everything.find("NeverRegistered42") == std::string::npos);
  CHECK(everything.find("k3y-unregistered") == std::string::npos);
  auto proxy_log = read_file(p.log_dir() / "Proxy.log");
  CHECK(proxy_log.find("plain-marker *** end-plain") != std::string::npos);
  CHECK(proxy_log.find("assign-marker password=*** end-assign") != std::string::npos);
  CHECK(proxy_log.find("header-marker Proxy-Authorization: Bearer ***\r\nend-header") !=
        std::string::npos);
  CHECK(proxy_log.find("url-marker http://alice:***@proxy.local:3128/ end-url") !=
        std::string::npos);
  CHECK(proxy_log.find("json-marker {\"password\":\"***\"} end-json") != std::string::npos);
  CHECK(read_file(p.log_dir() / "Config.log").find("password=*** end-unreg") != std::string::npos);
}

TEST_CASE("logging: two managers with different roots keep to their own files") {
  temp_dir root_a;
  temp_dir root_b;
  log_manager a{paths{root_a.path()}, quiet_options()};
  log_manager b{paths{root_b.path()}, quiet_options()};
  a.get(log_module::agent)->info("only-in-a");
  b.get(log_module::agent)->info("only-in-b");
  a.flush();
  b.flush();
  CHECK(module_file(a, log_module::agent).find("only-in-a") != std::string::npos);
  CHECK(module_file(a, log_module::agent).find("only-in-b") == std::string::npos);
  CHECK(module_file(b, log_module::agent).find("only-in-b") != std::string::npos);
  CHECK(module_file(b, log_module::agent).find("only-in-a") == std::string::npos);
  CHECK(spdlog::get("Agent") != a.get(log_module::agent));
}

TEST_CASE("logging: module files rotate at the size limit and keep max_files") {
  temp_dir root;
  auto options = quiet_options();
  options.max_file_size = 4096;
  options.max_files = 2;
  log_manager logs{paths{root.path()}, options};
  for (int i = 0; i < 400; ++i)
    logs.get(log_module::sca)->info("line {} of a long enough rotation test", i);
  logs.flush();
  auto dir = logs.directory();
  CHECK(fs::exists(dir / "SCA.log"));
  CHECK(fs::exists(dir / "SCA.1.log"));
  CHECK(fs::exists(dir / "SCA.2.log"));
  CHECK_FALSE(fs::exists(dir / "SCA.3.log"));
  CHECK(fs::file_size(dir / "SCA.1.log") <= 4096);
  CHECK(read_file(dir / "SCA.log").find("line 399 ") != std::string::npos);
}

TEST_CASE("logging: the process-wide manager serves module_logger and spdlog's default") {
  temp_dir root;
  auto logs = std::make_shared<log_manager>(paths{root.path()}, quiet_options());
  vigil::set_global_log_manager(logs);
  CHECK(vigil::global_log_manager() == logs);
  CHECK(vigil::module_logger(log_module::udc) == logs->get(log_module::udc));
  spdlog::info("stray call token=abc123 end-stray");
  logs->flush();
  auto agent = module_file(*logs, log_module::agent);
  CHECK(agent.find("stray call token=*** end-stray") != std::string::npos);
  CHECK(agent.find("abc123") == std::string::npos);

  vigil::set_global_log_manager(nullptr);
  CHECK(vigil::global_log_manager() == nullptr);
  auto fallback = vigil::module_logger(log_module::udc);
  REQUIRE(fallback != nullptr);
  CHECK(fallback != logs->get(log_module::udc));
  CHECK(spdlog::default_logger() != logs->get(log_module::agent));
}

TEST_CASE("logging: make_redacting_sink redacts for any sink and forwards the pattern") {
  std::ostringstream out;
  auto sink = vigil::make_redacting_sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  spdlog::logger logger{"Test", sink};
  logger.set_pattern("<%n|%v>");
  logger.info("Authorization: Basic dXNlcjpwdw== ok");
  logger.flush();
  CHECK(out.str() == "<Test|Authorization: Basic *** ok>\n");
}
