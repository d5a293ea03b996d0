#include "installer/running_program.hpp"

#include <windows.h>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "host/process_id.hpp"
#include "host/windows/wide.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

/// Whether `path` is below `dir` (Windows paths ignore case).
bool is_under(const fs::path& path, const fs::path& dir) {
  auto lower = [](const fs::path& p) {
    auto text = p.lexically_normal().wstring();
    ::CharLowerBuffW(text.data(), static_cast<DWORD>(text.size()));
    while (!text.empty() && text.back() == L'\\')
      text.pop_back();
    return text;
  };
  auto inner = lower(path);
  auto outer = lower(dir);
  return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0
         && inner[outer.size()] == L'\\';
}

} // namespace

caf::expected<void> move_running_program_out_of(const fs::path& dir) {
  auto self = current_program_file();
  if (self.empty() || !is_under(self, dir))
    return {};
  // The temporary folder, else the folder above `dir`: a rename needs the
  // same volume, which the latter always is.
  std::error_code no_temp;
  auto temp = fs::temp_directory_path(no_temp);
  caf::error last;
  for (auto& parent : {temp, dir.parent_path()}) {
    if (parent.empty())
      continue;
    auto aside = make_private_directory(parent, "vigil-uninstall-");
    if (!aside) {
      last = aside.error();
      continue;
    }
    auto target = *aside / self.filename();
    if (::MoveFileExW(self.c_str(), target.c_str(), MOVEFILE_WRITE_THROUGH)) {
      // Removed at the next restart, its folder after it (an administrator's
      // right, which uninstalling needs anyway); a failure only leaves them.
      ::MoveFileExW(target.c_str(), nullptr, MOVEFILE_DELAY_UNTIL_REBOOT);
      ::MoveFileExW(aside->c_str(), nullptr, MOVEFILE_DELAY_UNTIL_REBOOT);
      return {};
    }
    last = win::last_error("move " + win::display(self) + " to " + win::display(target));
    ::RemoveDirectoryW(aside->c_str());
  }
  return last;
}

} // namespace vigil
