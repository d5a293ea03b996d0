// Who may stop the agent while self-protection is on, on Linux: the sender's
// program as /proc shows it (self_protection.hpp).
#include "host/self_protection.hpp"

#include <filesystem>
#include <string>
#include <unistd.h>

namespace vigil {

bool stop_signal_allowed(const paths& p, int sender, int parent) {
  if (sender <= 1 || sender == parent || sender == ::getpid())
    return true;
  std::error_code err;
  auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(sender) + "/exe", err);
  if (err)
    return false; // gone already, or not ours to read: not one of our programs
  auto within = [&](const std::filesystem::path& dir) {
    auto d = dir.lexically_normal().string();
    auto e = exe.lexically_normal().string();
    return e.size() > d.size() && e.compare(0, d.size(), d) == 0 && e[d.size()] == '/';
  };
  return within(p.bin_dir()) || within(p.patch_dir() / "staged");
}

} // namespace vigil
