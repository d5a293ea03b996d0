#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "host/paths.hpp"

namespace vigil {

/// CloudAgentInstaller.log (SPEC §3): every run of vigil-setup and
/// vigil-uninstall appends to `<root>/var/opt/vigil/CloudAgentInstaller.log`,
/// or to `<root>/var/log/vigil/` when program data is not writable. Lines are
/// redacted (a proxy password never lands here) and written at once, so the
/// log is complete even when the run is killed.
class installer_log {
public:
  /// Opens the log for `program` ("vigil-setup").
  installer_log(const paths& p, std::string program);

  /// Appends a time-stamped line.
  void write(std::string_view line);

  /// The file written to (empty if neither place was writable).
  const std::filesystem::path& file() const noexcept { return file_; }

private:
  std::filesystem::path file_;
  std::string program_;
};

} // namespace vigil
