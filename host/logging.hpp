#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <spdlog/common.h>
#include <spdlog/logger.h>

#include "host/paths.hpp"

namespace vigil {

/// The modules that each own one log file (SPEC §15).
enum class log_module : uint8_t {
  agent,
  provision,
  config,
  proxy,
  network,
  inventory,
  vulnerability,
  policy_compliance,
  udc,
  sca,
  delta,
  upload,
  self_patch,
  self_protection,
};

/// Every module, in SPEC §15 order.
inline constexpr std::array<log_module, 14> all_log_modules{
  log_module::agent,         log_module::provision,         log_module::config,
  log_module::proxy,         log_module::network,           log_module::inventory,
  log_module::vulnerability, log_module::policy_compliance, log_module::udc,
  log_module::sca,           log_module::delta,             log_module::upload,
  log_module::self_patch,    log_module::self_protection};

/// The module's name exactly as SPEC §15 spells it ("PolicyCompliance"); also
/// its logger name and the stem of its file name.
const char* to_string(log_module module) noexcept;

/// The module named `name`, ignoring case ("inventory", "UDC"), if any.
std::optional<log_module> parse_log_module(std::string_view name) noexcept;

/// The level a hive `Logs\TraceLevel` value selects: 0 off, 1 critical,
/// 2 error, 3 warn, 4 info, 5 debug, 6 trace. Nothing when out of range.
std::optional<spdlog::level::level_enum> level_of_trace_level(uint32_t value) noexcept;

/// The level a profile names, ignoring case: "trace", "debug", "info",
/// "warn"/"warning", "error", "critical"/"fatal", "off". Nothing otherwise.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) noexcept;

/// Wraps `inner` so that every message passes through `vigil::redact` before
/// `inner` formats or writes it. Pattern and formatter changes reach `inner`.
/// Use it for every sink that writes anywhere (files, stderr), so that a
/// secret logged by mistake never leaves the process.
spdlog::sink_ptr make_redacting_sink(spdlog::sink_ptr inner);

/// Where a log_manager's module loggers write.
enum class log_destination {
  log_dir,        ///< `paths::log_dir()`, the normal place
  fallback_dir,   ///< `paths::fallback_log_dir()`: the Log dir was not writable
  standard_error, ///< neither directory was writable
};

/// The name of a destination for messages: "log_dir".
const char* to_string(log_destination destination) noexcept;

/// Tunables of a log_manager; the defaults are the production values.
struct log_options {
  /// A module file rotates when it would grow past this many bytes.
  std::size_t max_file_size = 10 * 1024 * 1024;
  /// Rotated files kept per module besides the current one (`Agent.1.log` ...).
  std::size_t max_files = 5;
  /// How often buffered lines are flushed to disk, by one thread per manager;
  /// zero disables the periodic flush. Warn and above are always flushed at
  /// once. (spdlog::flush_every is not used: it only reaches loggers in
  /// spdlog's global registry, where these loggers are deliberately absent.)
  std::chrono::milliseconds flush_interval{std::chrono::seconds{3}};
  /// The level until the profile or the hive says otherwise.
  spdlog::level::level_enum profile_level = spdlog::level::info;
};

/// Owns one logger per module, writing `<dir>/<Module>.log` (rotating) in the
/// Log dir, else the fallback dir, else stderr, with every line redacted.
/// Several managers may live at once (each with its own root): loggers are
/// never put in spdlog's global registry. Thread-safe.
class log_manager {
public:
  /// Opens one file per module under `p`. Writability is decided by trying:
  /// the directory is created if missing, a probe file is written, then every
  /// module file is opened; any failure moves on to the next destination, and
  /// the reason is logged to the Agent log of the destination finally used.
  explicit log_manager(const paths& p, log_options options = {});

  /// Stops the periodic flush and flushes every logger. Loggers still held
  /// elsewhere stay usable.
  ~log_manager();

  log_manager(const log_manager&) = delete;
  log_manager& operator=(const log_manager&) = delete;

  /// The logger of `module`. The same object for the life of the manager, so
  /// callers may keep it; level changes reach it live.
  const std::shared_ptr<spdlog::logger>& get(log_module module) const noexcept;

  /// Where the loggers write.
  log_destination destination() const noexcept { return destination_; }

  /// The directory holding the module files; empty for standard_error.
  const std::filesystem::path& directory() const noexcept { return directory_; }

  /// Sets the level the configuration profile asks for. It applies at once
  /// to every module unless the hive's TraceLevel overrides it.
  void set_profile_level(spdlog::level::level_enum level);

  /// Sets or (with nothing) removes the hive's `Logs\TraceLevel` override and
  /// applies the resulting level at once to every module. A value outside
  /// 0-6 is ignored as if absent (the profile level applies) and logged as a
  /// warning; returns whether the value was accepted.
  bool set_trace_level_override(std::optional<uint32_t> trace_level);

  /// The level every module logger currently has.
  spdlog::level::level_enum level() const;

  /// Writes every buffered line of every module to its file now.
  void flush();

private:
  void apply_level_locked();

  std::array<std::shared_ptr<spdlog::logger>, all_log_modules.size()> loggers_;
  log_destination destination_ = log_destination::standard_error;
  std::filesystem::path directory_;
  mutable std::mutex mutex_; // guards the three level fields below
  spdlog::level::level_enum profile_level_;
  std::optional<spdlog::level::level_enum> override_;
  std::optional<uint32_t> last_rejected_;
  std::jthread flusher_;
};

/// Makes `manager` the process-wide one that `module_logger` uses (nullptr
/// clears it), and makes the matching Agent logger spdlog's default logger, so
/// stray `spdlog::info(...)` calls are redacted and land in Agent.log too.
/// The process keeps the manager until it is replaced or the process exits.
void set_global_log_manager(std::shared_ptr<log_manager> manager);

/// The process-wide manager, if one is set.
std::shared_ptr<log_manager> global_log_manager();

/// The logger of `module` from the process-wide manager; without one, a
/// redacting stderr logger, so code can always log.
std::shared_ptr<spdlog::logger> module_logger(log_module module);

} // namespace vigil
