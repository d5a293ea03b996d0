#include "installer/installer_log.hpp"

#include <ctime>
#include <iostream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/redact.hpp"

namespace vigil {

namespace {

/// Opens the log for appending: never through a symbolic link, and private
/// (it names the CustomerId and ActivationId, enough to provision a host:
/// issue 15, defect 5), also when an older version left it readable.
int open_log(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0)
    (void) ::fchmod(fd, 0600);
  return fd;
}

bool appendable(const std::filesystem::path& file) {
  std::error_code ignored;
  std::filesystem::create_directories(file.parent_path(), ignored);
  int fd = open_log(file);
  if (fd < 0)
    return false;
  ::close(fd);
  return true;
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
  auto text = std::string{stamp} + " " + program_ + "[" + std::to_string(::getpid()) + "] "
              + redact(line) + "\n";
  int fd = open_log(file_);
  if (fd < 0)
    return;
  [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());
  ::close(fd);
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
