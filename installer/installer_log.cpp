#include "installer/installer_log.hpp"

#include <ctime>
#include <iostream>

#include "common/redact.hpp"
#include "host/file_append.hpp"
#include "host/process_id.hpp"

namespace vigil {

namespace {

/// Appends to the log: never through a symbolic link, and private (it names
/// the CustomerId and ActivationId, enough to provision a host: issue 15,
/// defect 5), also when an older version left it readable.
bool append(const std::filesystem::path& file, std::string_view text) {
  if (!append_durably(file, text))
    return false;
  std::error_code ignored;
  std::filesystem::permissions(file, std::filesystem::perms::owner_read
                                       | std::filesystem::perms::owner_write, ignored);
  return true;
}

bool appendable(const std::filesystem::path& file) {
  std::error_code ignored;
  std::filesystem::create_directories(file.parent_path(), ignored);
  return append(file, {});
}

} // namespace

installer_log::installer_log(const paths& p, std::string program) : program_{std::move(program)} {
  if (appendable(p.installer_log()))
    file_ = p.installer_log();
  else if (appendable(p.fallback_installer_log()))
    file_ = p.fallback_installer_log();
}

void installer_log::write(std::string_view line) {
  if (file_.empty())
    return;
  char stamp[32];
  auto now = std::time(nullptr);
  tm parts{};
  gmtime_r(&now, &parts);
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &parts);
  auto text = std::string{stamp} + " " + program_ + "[" + std::to_string(current_process_id())
              + "] " + redact(line) + "\n";
  (void) append(file_, text);
}

int installer_log::finish(int code, const std::string& message) {
  write("exit " + std::to_string(code) + ": " + message);
  if (code != 0)
    std::cerr << program_ << ": " << redact(message) << " (exit code " << code << ")\n";
  else
    std::cout << program_ << ": " << redact(message) << "\n";
  return code;
}

} // namespace vigil
