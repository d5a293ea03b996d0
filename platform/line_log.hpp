#pragma once

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>

namespace vigil::platform {

/// A text log the platform appends lines to (DIR/orders.log): each line is
/// written and flushed at once, so tests and administrators see it live and
/// a crash loses none that was reported written. Thread-safe. A file that
/// cannot be opened makes every write do nothing (logging never stops the
/// platform); `ok` tells.
class line_log {
public:
  /// Opens `file` for appending, creating it.
  explicit line_log(const std::filesystem::path& file);
  ~line_log();

  line_log(const line_log&) = delete;
  line_log& operator=(const line_log&) = delete;

  /// Whether the file is open.
  bool ok() const noexcept {
    return file_ != nullptr;
  }

  /// Appends `line` and a line break.
  void write(const std::string& line);

private:
  std::FILE* file_;
  std::mutex mutex_;
};

} // namespace vigil::platform
