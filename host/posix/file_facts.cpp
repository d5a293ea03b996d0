#include "host/file_facts.hpp"

#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.hpp"

namespace vigil {

caf::expected<file_facts> file_facts_of(const std::filesystem::path& file) {
  struct stat st{};
  if (::lstat(file.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return make_error(ec::not_found, file.string() + " does not exist");
    return make_system_error(errno, "stat " + file.string());
  }
  file_facts facts;
  facts.regular = S_ISREG(st.st_mode);
  facts.mode = static_cast<uint32_t>(st.st_mode & 07777);
  facts.owned_by_admin = st.st_uid == 0;
  facts.device = static_cast<uint64_t>(st.st_dev);
  facts.inode = static_cast<uint64_t>(st.st_ino);
  facts.size = static_cast<uint64_t>(st.st_size);
  facts.modified_ns = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
  facts.changed_ns = st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec;
  return facts;
}

bool running_as_admin() noexcept {
  return ::getuid() == 0;
}

} // namespace vigil
