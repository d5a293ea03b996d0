// Durable appends on Windows (file_append.hpp): FILE_APPEND_DATA alone makes
// every write land at the end, as O_APPEND does; FlushFileBuffers is the
// fdatasync. A new file gets the folder's inherited ACL (the agent's program
// data folder is readable by Administrators and SYSTEM alone).
#include "host/file_append.hpp"

#include <algorithm>
#include <windows.h>

#include "common/error.hpp"
#include "host/windows/wide.hpp"

namespace vigil {

caf::expected<void> append_durably(const std::filesystem::path& file, std::string_view bytes) {
  win::unique_handle h{::CreateFileW(file.c_str(), FILE_APPEND_DATA | FILE_READ_ATTRIBUTES,
                                     FILE_SHARE_READ, nullptr, OPEN_ALWAYS,
                                     FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
                                     nullptr)};
  if (!h)
    return win::last_error("open " + win::display(file));
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(h.get(), &info))
    return win::last_error("inspect " + win::display(file));
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
    return make_error(ec::permission_denied, "open " + win::display(file) + ": a link, not a file");
  size_t done = 0;
  while (done < bytes.size()) {
    auto piece = static_cast<DWORD>(std::min<size_t>(bytes.size() - done, 1u << 30));
    DWORD n = 0;
    if (!::WriteFile(h.get(), bytes.data() + done, piece, &n, nullptr))
      return win::last_error("write " + win::display(file));
    done += n;
  }
  if (!::FlushFileBuffers(h.get()))
    return win::last_error("sync " + win::display(file));
  return {};
}

} // namespace vigil
