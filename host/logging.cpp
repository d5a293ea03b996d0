#include "host/logging.hpp"

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <stop_token>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "common/redact.hpp"
#include "host/atomic_file.hpp"

namespace fs = std::filesystem;
namespace lvl = spdlog::level;

namespace vigil {
namespace {

constexpr const char* log_pattern = "[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] [%t] %v";

/// Forwards a copy of every message, with its payload redacted, to `inner_`.
/// The payload is the only part that carries caller text; the logger name,
/// level and source location are ours.
class redacting_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  explicit redacting_sink(spdlog::sink_ptr inner) : inner_{std::move(inner)} {}

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!inner_->should_log(msg.level))
      return;
    auto clean = redact(std::string_view{msg.payload.data(), msg.payload.size()});
    spdlog::details::log_msg copy{msg};
    copy.payload = spdlog::string_view_t{clean.data(), clean.size()};
    inner_->log(copy);
  }

  void flush_() override { inner_->flush(); }

  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }

  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

private:
  spdlog::sink_ptr inner_;
};

bool equals_ci(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y))
      return false;
  }
  return true;
}

/// Creates `dir` if needed and proves it accepts a new file by writing one.
caf::expected<void> probe_writable(const fs::path& dir) {
  std::error_code err;
  bool created = fs::create_directories(dir, err);
  if (err)
    return make_system_error(err.value(), "create " + dir.string());
  if (!fs::is_directory(dir, err))
    return make_error(ec::io_error, dir.string() + " is not a directory");
  // Logs name hosts, proxies, user names and what the platform said: they are
  // for the administrator alone (issue 15, defect 5), like the files in it.
  if (created)
    fs::permissions(dir, fs::perms::owner_all, err);
  // Through the one atomic writer: a random temporary name opened without
  // following links, so a file planted in a directory a user controls is never
  // written through.
  auto probe = dir / ".vigil-write-probe";
  if (auto wrote = write_file_atomically(probe, "x"); !wrote)
    return wrote.error();
  fs::remove(probe, err);
  return caf::unit;
}

/// One redacted rotating file sink per module in `dir`, or why not.
caf::expected<std::vector<spdlog::sink_ptr>> open_module_files(const fs::path& dir,
                                                              const log_options& options) {
  if (auto ok = probe_writable(dir); !ok)
    return ok.error();
  std::vector<spdlog::sink_ptr> sinks;
  // spdlog creates its files with fopen(3) (0666 less the umask): each one,
  // rotated ones included, is made private as soon as it is open.
  spdlog::file_event_handlers private_files;
  private_files.after_open = [](const spdlog::filename_t&, std::FILE* stream) {
    if (stream)
      restrict_to_owner(stream);
  };
  try {
    for (auto module : all_log_modules) {
      auto file = (dir / (std::string{to_string(module)} + ".log")).string();
      sinks.push_back(make_redacting_sink(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        file, options.max_file_size, options.max_files, false, private_files)));
    }
  } catch (const spdlog::spdlog_ex& ex) {
    return make_error(ec::io_error, ex.what());
  }
  return sinks;
}

spdlog::sink_ptr redacting_stderr_sink() {
  static auto sink = make_redacting_sink(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  return sink;
}

std::shared_ptr<spdlog::logger> make_logger(log_module module, spdlog::sink_ptr sink,
                                            lvl::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>(to_string(module), std::move(sink));
  logger->set_pattern(log_pattern);
  logger->set_level(level);
  logger->flush_on(lvl::warn);
  return logger;
}

} // namespace

const char* to_string(log_module module) noexcept {
  switch (module) {
    case log_module::agent: return "Agent";
    case log_module::provision: return "Provision";
    case log_module::config: return "Config";
    case log_module::proxy: return "Proxy";
    case log_module::network: return "Network";
    case log_module::inventory: return "Inventory";
    case log_module::vulnerability: return "Vulnerability";
    case log_module::policy_compliance: return "PolicyCompliance";
    case log_module::udc: return "UDC";
    case log_module::sca: return "SCA";
    case log_module::delta: return "Delta";
    case log_module::upload: return "Upload";
    case log_module::self_patch: return "SelfPatch";
    case log_module::self_protection: return "SelfProtection";
  }
  return "Agent";
}

std::optional<log_module> parse_log_module(std::string_view name) noexcept {
  for (auto module : all_log_modules)
    if (equals_ci(name, to_string(module)))
      return module;
  return std::nullopt;
}

std::optional<lvl::level_enum> level_of_trace_level(uint32_t value) noexcept {
  static constexpr std::array<lvl::level_enum, 7> levels{
    lvl::off, lvl::critical, lvl::err, lvl::warn, lvl::info, lvl::debug, lvl::trace};
  if (value >= levels.size())
    return std::nullopt;
  return levels[value];
}

std::optional<lvl::level_enum> parse_log_level(std::string_view name) noexcept {
  static constexpr std::pair<std::string_view, lvl::level_enum> names[] = {
    {"trace", lvl::trace}, {"debug", lvl::debug},       {"info", lvl::info},
    {"warn", lvl::warn},   {"warning", lvl::warn},      {"error", lvl::err},
    {"err", lvl::err},     {"critical", lvl::critical}, {"fatal", lvl::critical},
    {"off", lvl::off}};
  for (const auto& [text, level] : names)
    if (equals_ci(name, text))
      return level;
  return std::nullopt;
}

spdlog::sink_ptr make_redacting_sink(spdlog::sink_ptr inner) {
  return std::make_shared<redacting_sink>(std::move(inner));
}

const char* to_string(log_destination destination) noexcept {
  switch (destination) {
    case log_destination::log_dir: return "log_dir";
    case log_destination::fallback_dir: return "fallback_dir";
    case log_destination::standard_error: return "standard_error";
  }
  return "standard_error";
}

log_manager::log_manager(const paths& p, log_options options)
  : profile_level_{options.profile_level} {
  std::vector<std::string> problems;
  std::vector<spdlog::sink_ptr> sinks;
  const std::pair<log_destination, fs::path> candidates[] = {
    {log_destination::log_dir, p.log_dir()},
    {log_destination::fallback_dir, p.fallback_log_dir()}};
  for (const auto& [destination, dir] : candidates) {
    auto opened = open_module_files(dir, options);
    if (opened) {
      sinks = std::move(*opened);
      destination_ = destination;
      directory_ = dir;
      break;
    }
    problems.push_back(dir.string() + " is not writable (" + render(opened.error()) + ")");
  }
  for (size_t i = 0; i < all_log_modules.size(); ++i)
    loggers_[i] = make_logger(all_log_modules[i],
                              sinks.empty() ? redacting_stderr_sink() : sinks[i],
                              profile_level_);
  auto& agent = *get(log_module::agent);
  for (const auto& problem : problems)
    agent.warn("{}", problem);
  if (destination_ != log_destination::log_dir)
    agent.warn("logging to {}", directory_.empty() ? "stderr" : directory_.string());
  if (options.flush_interval.count() > 0)
    flusher_ = std::jthread{[this, interval = options.flush_interval](std::stop_token stop) {
      std::mutex m;
      std::condition_variable_any wake;
      std::unique_lock lock{m};
      while (!stop.stop_requested()) {
        wake.wait_for(lock, stop, interval, [] { return false; });
        if (!stop.stop_requested())
          flush();
      }
    }};
}

log_manager::~log_manager() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  flush();
}

const std::shared_ptr<spdlog::logger>& log_manager::get(log_module module) const noexcept {
  return loggers_[static_cast<size_t>(module)];
}

void log_manager::set_profile_level(lvl::level_enum level) {
  std::lock_guard lock{mutex_};
  profile_level_ = level;
  apply_level_locked();
}

bool log_manager::set_trace_level_override(std::optional<uint32_t> trace_level) {
  std::optional<uint32_t> rejected;
  {
    std::lock_guard lock{mutex_};
    override_.reset();
    if (trace_level) {
      override_ = level_of_trace_level(*trace_level);
      if (!override_)
        rejected = trace_level;
    }
    apply_level_locked();
    // Warn once per bad value, not on every unrelated hive change.
    if (rejected == last_rejected_)
      return !rejected;
    last_rejected_ = rejected;
  }
  if (rejected)
    get(log_module::agent)->warn("Logs\\TraceLevel {} is outside 0-6; ignored, using the profile level",
                                 *rejected);
  return !rejected;
}

lvl::level_enum log_manager::level() const {
  std::lock_guard lock{mutex_};
  return override_.value_or(profile_level_);
}

void log_manager::flush() {
  for (const auto& logger : loggers_)
    logger->flush();
}

void log_manager::apply_level_locked() {
  auto level = override_.value_or(profile_level_);
  for (const auto& logger : loggers_)
    logger->set_level(level);
}

namespace {

std::atomic<std::shared_ptr<log_manager>>& global_slot() {
  static std::atomic<std::shared_ptr<log_manager>> slot;
  return slot;
}

} // namespace

void set_global_log_manager(std::shared_ptr<log_manager> manager) {
  global_slot().store(std::move(manager));
  spdlog::set_default_logger(module_logger(log_module::agent));
}

std::shared_ptr<log_manager> global_log_manager() { return global_slot().load(); }

std::shared_ptr<spdlog::logger> module_logger(log_module module) {
  if (auto manager = global_slot().load())
    return manager->get(module);
  // Leaked on purpose: code may log from threads that outlive static destruction.
  static auto* fallback = [] {
    auto* loggers = new std::array<std::shared_ptr<spdlog::logger>, all_log_modules.size()>;
    for (size_t i = 0; i < all_log_modules.size(); ++i)
      (*loggers)[i] = make_logger(all_log_modules[i], redacting_stderr_sink(), lvl::info);
    return loggers;
  }();
  return (*fallback)[static_cast<size_t>(module)];
}

} // namespace vigil
