#include "platform/line_log.hpp"

namespace vigil::platform {

line_log::line_log(const std::filesystem::path& file) : file_{std::fopen(file.c_str(), "a")} {
}

line_log::~line_log() {
  if (file_)
    std::fclose(file_);
}

void line_log::write(const std::string& line) {
  if (!file_)
    return;
  std::lock_guard guard{mutex_};
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

} // namespace vigil::platform
