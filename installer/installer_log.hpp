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

  /// Ends the run: logs the outcome and prints it (stdout on success, stderr
  /// otherwise), and returns `code` for main to exit with. `code` is the
  /// Windows Installer code (SPEC §3); a Linux process status keeps only its
  /// low byte (1603 -> 67, 1618 -> 82, 1638 -> 102, 1639 -> 103), so the full
  /// code is printed and logged too. Secrets are redacted on both.
  int finish(int code, const std::string& message);

  /// The file written to (empty if neither place was writable).
  const std::filesystem::path& file() const noexcept { return file_; }

private:
  std::filesystem::path file_;
  std::string program_;
};

} // namespace vigil
