// write_file_atomically and friends on Windows (atomic_file.hpp). Win32 has no
// permission bits: `mode` is ignored and the file inherits its folder's ACL,
// which for program data is administrators and SYSTEM (the installer's job).
// MoveFileExW replaces the target in one step; it fails (ACCESS_DENIED) while
// another process has the target open without FILE_SHARE_DELETE, so our own
// readers (read_whole_file) always share it.
#include "host/atomic_file.hpp"

#include <openssl/rand.h>
#include <windows.h>

#include "common/error.hpp"
#include "host/windows/wide.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

/// 16 random hex digits.
caf::expected<std::wstring> random_suffix() {
  unsigned char raw[8];
  if (RAND_bytes(raw, sizeof(raw)) != 1)
    return make_error(ec::io_error, "no random bytes for a temporary file name");
  std::wstring hex;
  for (auto b : raw) {
    hex += L"0123456789abcdef"[b >> 4];
    hex += L"0123456789abcdef"[b & 15];
  }
  return hex;
}

/// Creates a fresh temporary file next to `file`: CREATE_NEW fails on any
/// existing name (a planted file or link is never opened nor reused), and a
/// collision simply draws another name.
caf::expected<std::pair<win::unique_handle, fs::path>> create_temporary(const fs::path& file) {
  for (int attempt = 0;; ++attempt) {
    auto suffix = random_suffix();
    if (!suffix)
      return suffix.error();
    auto temp = file.parent_path()
                / (L"." + file.filename().native() + L"." + *suffix + L".tmp");
    win::unique_handle h{::CreateFileW(temp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                                       FILE_ATTRIBUTE_NORMAL, nullptr)};
    if (h)
      return std::make_pair(std::move(h), temp);
    auto code = ::GetLastError();
    if ((code != ERROR_FILE_EXISTS && code != ERROR_ALREADY_EXISTS) || attempt >= 16)
      return win::error_from(code, "create a temporary file for " + win::display(file));
  }
}

caf::expected<void> write_all(void* h, std::string_view bytes, const fs::path& temp) {
  while (!bytes.empty()) {
    DWORD chunk = static_cast<DWORD>(std::min<size_t>(bytes.size(), 1u << 30));
    DWORD written = 0;
    if (!::WriteFile(h, bytes.data(), chunk, &written, nullptr))
      return win::last_error("write " + win::display(temp));
    bytes.remove_prefix(written);
  }
  return {};
}

} // namespace

caf::expected<void> write_file_atomically(const fs::path& file, std::string_view bytes,
                                          unsigned mode, if_exists existing) {
  auto target = fs::absolute(file);
  if (auto made = make_directories(target.parent_path(), (mode & 077) ? 0755 : 0700); !made)
    return made.error();
  auto created = create_temporary(target);
  if (!created)
    return created.error();
  auto& [h, temp] = *created;
  auto fail = [&, t = temp](caf::error err) -> caf::expected<void> {
    ::DeleteFileW(t.c_str());
    return err;
  };
  auto written = write_all(h.get(), bytes, temp);
  if (written && !::FlushFileBuffers(h.get()))
    written = win::last_error("flush " + win::display(temp));
  h = {}; // closed before it is deleted or renamed
  if (!written)
    return fail(written.error());
  DWORD flags = MOVEFILE_WRITE_THROUGH;
  if (existing == if_exists::replace)
    flags |= MOVEFILE_REPLACE_EXISTING;
  if (!::MoveFileExW(temp.c_str(), target.c_str(), flags)) {
    auto code = ::GetLastError();
    if (existing == if_exists::keep && (code == ERROR_ALREADY_EXISTS || code == ERROR_FILE_EXISTS))
      return fail(make_error(ec::already_exists, win::display(target) + " exists; kept it"));
    return fail(win::error_from(code, "rename " + win::display(temp) + " to "
                                        + win::display(target)));
  }
  return {};
}

caf::expected<void> make_directories(const fs::path& dir, unsigned) {
  if (dir.empty())
    return {};
  std::error_code err;
  fs::create_directories(dir, err);
  if (err && !fs::is_directory(dir))
    return make_error(err == std::errc::permission_denied ? ec::permission_denied : ec::io_error,
                      "create directory " + win::display(dir) + ": " + err.message());
  return {};
}

caf::expected<void> exchange_paths(const fs::path& a, const fs::path& b) {
  // Win32 has no atomic exchange of two names: any sequence of renames has a
  // moment when one name is missing, which is what this promises never
  // happens. Callers (the upgrade's program files swap) must use another plan.
  return make_error(ec::invalid_argument,
                    "exchange " + win::display(a) + " and " + win::display(b)
                      + ": Windows has no atomic exchange of two paths");
}

caf::expected<fs::path> make_private_directory(const fs::path& parent, std::string_view prefix) {
  for (int attempt = 0;; ++attempt) {
    auto suffix = random_suffix();
    if (!suffix)
      return suffix.error();
    auto dir = parent / (win::widen(prefix) + *suffix);
    if (::CreateDirectoryW(dir.c_str(), nullptr))
      return dir;
    if (::GetLastError() != ERROR_ALREADY_EXISTS || attempt == 8)
      return win::last_error("create " + win::display(dir));
  }
}

caf::expected<void> replace_directory(const fs::path& incoming, const fs::path& target,
                                      const fs::path& aside) {
  auto move = [](const fs::path& from, const fs::path& to) -> caf::expected<void> {
    if (!::MoveFileExW(from.c_str(), to.c_str(), MOVEFILE_WRITE_THROUGH))
      return win::last_error("move " + win::display(from) + " to " + win::display(to));
    return {};
  };
  if (::GetFileAttributesW(target.c_str()) != INVALID_FILE_ATTRIBUTES) {
    if (auto moved = move(target, aside); !moved)
      return moved;
    if (auto moved = move(incoming, target); !moved) {
      (void) move(aside, target);
      return moved;
    }
    return {};
  }
  return move(incoming, target);
}

void restrict_to_owner(std::FILE*) noexcept {
  // No-op: Windows files have no mode bits; a log file inherits its folder's
  // ACL (program data's Log folder: administrators and SYSTEM), which is what
  // this function achieves on POSIX.
}

caf::expected<std::string> read_whole_file(const fs::path& file) {
  win::unique_handle h{::CreateFileW(file.c_str(), GENERIC_READ,
                                     FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                     nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr)};
  if (!h)
    return win::last_error("open " + win::display(file));
  std::string out;
  char buffer[65536];
  for (;;) {
    DWORD got = 0;
    if (!::ReadFile(h.get(), buffer, sizeof(buffer), &got, nullptr))
      return win::last_error("read " + win::display(file));
    if (got == 0)
      return out;
    out.append(buffer, got);
  }
}

} // namespace vigil
