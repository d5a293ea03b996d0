// vigil-setup.exe's native package: the MSI, made from the payload's own
// programs as the Linux vigil-setup makes its .deb (installer/native_package.hpp),
// so vigil-setup.exe carries them once. The payload keeps the MSI's database
// without its cabinet (12 KB, built by wixl with EmbedCab=no); the cabinet is
// made here by Windows' own cabinet API (FCI, cabinet.dll) and put into the
// database's _Streams by Windows Installer's (msi.dll), as WiX's light.exe
// embeds one. Both are the system's, on Windows and in Wine.
#include "installer/native_package.hpp"

#include <windows.h>

#include <fci.h>
#include <fcntl.h>
#include <io.h>
#include <msi.h>
#include <msiquery.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "host/windows/wide.hpp"
#include "installer/archive_io.hpp"
#include "installer/rpm_package.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

/// The payload member holding the MSI's database without its cabinet
/// (installer/windows/make_setup.sh puts it there).
constexpr std::string_view msi_database_member = "package/vigil-agent.msi";

/// The cabinet's name in the database's Media table (vigil-agent.wxs) and
/// in its _Streams ('#' in Media.Cabinet: embedded).
constexpr char cabinet_name[] = "vigil.cab";

/// A Windows Installer handle, closed on destruction.
class msi_handle {
public:
  msi_handle() noexcept = default;
  explicit msi_handle(MSIHANDLE h) noexcept : h_{h} {}
  ~msi_handle() {
    if (h_ != 0)
      ::MsiCloseHandle(h_);
  }
  msi_handle(const msi_handle&) = delete;
  msi_handle& operator=(const msi_handle&) = delete;
  MSIHANDLE get() const noexcept { return h_; }
  MSIHANDLE* out() noexcept { return &h_; }

private:
  MSIHANDLE h_ = 0;
};

caf::error invalid(std::string reason) {
  return make_error(ec::invalid_argument, std::move(reason));
}

/// A view on `db` for `query`, executed.
caf::expected<void> open_view(MSIHANDLE db, const wchar_t* query, msi_handle& view,
                              std::string_view what) {
  if (auto rc = ::MsiDatabaseOpenViewW(db, query, view.out()); rc != ERROR_SUCCESS)
    return win::error_from(rc, what);
  if (auto rc = ::MsiViewExecute(view.get(), 0); rc != ERROR_SUCCESS)
    return win::error_from(rc, what);
  return {};
}

std::string record_string(MSIHANDLE record, unsigned field) {
  wchar_t none[1] = L"";
  DWORD size = 0;
  ::MsiRecordGetStringW(record, field, none, &size); // ERROR_MORE_DATA: size without NUL
  std::wstring text(size + 1, L'\0');
  size += 1;
  if (::MsiRecordGetStringW(record, field, text.data(), &size) != ERROR_SUCCESS)
    return {};
  text.resize(size);
  return win::narrow(text);
}

/// One row of the database's File table: the key names the file in the
/// cabinet, the sequence orders the cabinet.
struct database_file {
  std::string key;
  std::string name; ///< the long name ("SHORT~1.EXE|long-name.exe" gives the latter)
  long long size = 0;
};

caf::expected<std::vector<database_file>> database_files(MSIHANDLE db) {
  msi_handle view;
  if (auto ok = open_view(db,
                          L"SELECT `File`, `FileName`, `FileSize` FROM `File` ORDER BY `Sequence`",
                          view, "the MSI database's File table");
      !ok)
    return ok.error();
  std::vector<database_file> files;
  for (;;) {
    msi_handle record;
    auto rc = ::MsiViewFetch(view.get(), record.out());
    if (rc == ERROR_NO_MORE_ITEMS)
      break;
    if (rc != ERROR_SUCCESS)
      return win::error_from(rc, "the MSI database's File table");
    auto name = record_string(record.get(), 2);
    if (auto bar = name.find('|'); bar != std::string::npos)
      name.erase(0, bar + 1);
    files.push_back({record_string(record.get(), 1), std::move(name),
                     ::MsiRecordGetInteger(record.get(), 3)});
  }
  if (files.empty())
    return invalid("the MSI database lists no files");
  return files;
}

// FCI's callbacks. The names FCI hands back are ours (the source files, the
// cabinet's folder and our temporary files), UTF-8; the files are opened by
// their UTF-16 names, so any folder works.
struct cabinet_context {
  std::string temp_dir; ///< UTF-8, ends with a backslash
  unsigned next_temp = 0;
};

FNFCIALLOC(fci_alloc) {
  return std::malloc(cb);
}
FNFCIFREE(fci_free) {
  std::free(memory);
}
FNFCIOPEN(fci_open) {
  (void) pv;
  int fd = ::_wopen(win::widen(pszFile).c_str(), oflag | _O_BINARY, pmode);
  if (fd == -1)
    *err = errno;
  return fd;
}
FNFCIREAD(fci_read) {
  (void) pv;
  int n = ::_read(static_cast<int>(hf), memory, cb);
  if (n == -1)
    *err = errno;
  return static_cast<UINT>(n);
}
FNFCIWRITE(fci_write) {
  (void) pv;
  int n = ::_write(static_cast<int>(hf), memory, cb);
  if (n == -1)
    *err = errno;
  return static_cast<UINT>(n);
}
FNFCICLOSE(fci_close) {
  (void) pv;
  int rc = ::_close(static_cast<int>(hf));
  if (rc != 0)
    *err = errno;
  return rc;
}
FNFCISEEK(fci_seek) {
  (void) pv;
  long at = ::_lseek(static_cast<int>(hf), dist, seektype);
  if (at == -1)
    *err = errno;
  return at;
}
FNFCIDELETE(fci_delete) {
  (void) pv;
  int rc = ::_wunlink(win::widen(pszFile).c_str());
  if (rc != 0)
    *err = errno;
  return rc;
}
FNFCIGETTEMPFILE(fci_temp_file) {
  auto& context = *static_cast<cabinet_context*>(pv);
  auto name = context.temp_dir + "fci-" + std::to_string(context.next_temp++) + ".tmp";
  if (name.size() >= static_cast<size_t>(cbTempName))
    return FALSE;
  std::memcpy(pszTempName, name.c_str(), name.size() + 1);
  return TRUE;
}
FNFCIFILEPLACED(fci_file_placed) {
  (void) pccab, (void) pszFile, (void) cbFile, (void) fContinuation, (void) pv;
  return 0;
}
FNFCIGETNEXTCABINET(fci_next_cabinet) {
  (void) pccab, (void) cbPrevCab, (void) pv;
  return FALSE; // one cabinet, never split (CCAB::cb is the largest)
}
FNFCISTATUS(fci_status) {
  (void) typeStatus, (void) cb1, (void) cb2, (void) pv;
  return 0;
}
FNFCIGETOPENINFO(fci_open_info) {
  // Fixed times (1980-01-01 00:00, FAT's first day): the same payload gives
  // the same cabinet. Windows Installer sets the installed files' own times.
  *pdate = (1 << 5) | 1;
  *ptime = 0;
  *pattribs = 0;
  return fci_open(pszName, _O_RDONLY, 0, err, pv);
}

caf::error cabinet_error(const ERF& erf, std::string_view what) {
  static constexpr const char* causes[] = {
    "no error", "cannot open a source file", "cannot read a source file", "out of memory",
    "cannot make a temporary file", "unknown compression", "cannot write the cabinet",
    "aborted", "compression failed", "over the cabinet format's limits"};
  auto oper = static_cast<size_t>(erf.erfOper);
  std::string cause = oper < std::size(causes) ? causes[oper] : "FCI error " + std::to_string(oper);
  return make_error(ec::io_error, std::string{what} + ": " + cause + " (code "
                                    + std::to_string(erf.erfType) + ")");
}

/// Writes `files` (each: its source path, its name in the cabinet), in this
/// order, into `dir`/vigil.cab, compressed with MSZIP as WiX does.
caf::expected<void> make_cabinet(const fs::path& dir,
                                 std::vector<std::pair<fs::path, std::string>> files) {
  cabinet_context context{win::narrow(dir.wstring()) + "\\"};
  CCAB cab{};
  cab.cb = 0x7FFFFFFF;
  cab.cbFolderThresh = 0x7FFFFFFF;
  cab.iCab = 1;
  cab.setID = 0x5647;
  if (context.temp_dir.size() >= sizeof cab.szCabPath)
    return make_error(ec::invalid_argument, "the temporary folder's path is too long for FCI: "
                                              + context.temp_dir);
  std::memcpy(cab.szCabPath, context.temp_dir.c_str(), context.temp_dir.size() + 1);
  std::memcpy(cab.szCab, cabinet_name, sizeof cabinet_name);
  ERF erf{};
  HFCI fci = ::FCICreate(&erf, fci_file_placed, fci_alloc, fci_free, fci_open, fci_read, fci_write,
                         fci_close, fci_seek, fci_delete, fci_temp_file, &cab, &context);
  if (fci == nullptr)
    return cabinet_error(erf, "the MSI's cabinet");
  caf::expected<void> result;
  for (auto& [source, name] : files) {
    auto source_text = win::narrow(source.wstring());
    if (!::FCIAddFile(fci, source_text.data(), name.data(), FALSE, fci_next_cabinet, fci_status,
                      fci_open_info, tcompTYPE_MSZIP)) {
      result = cabinet_error(erf, "the MSI's cabinet, adding " + name);
      break;
    }
  }
  if (result && !::FCIFlushCabinet(fci, FALSE, fci_next_cabinet, fci_status))
    result = cabinet_error(erf, "the MSI's cabinet");
  ::FCIDestroy(fci);
  return result;
}

/// Embeds `cabinet` into the database `msi` (its _Streams, Media.Cabinet
/// '#vigil.cab') and commits.
caf::expected<void> embed_cabinet(MSIHANDLE db, const fs::path& cabinet) {
  msi_handle streams;
  if (auto ok = open_view(db, L"SELECT `Name`, `Data` FROM `_Streams`", streams,
                          "the MSI database's _Streams");
      !ok)
    return ok.error();
  msi_handle record{::MsiCreateRecord(2)};
  auto wide_name = win::widen(cabinet_name);
  if (auto rc = ::MsiRecordSetStringW(record.get(), 1, wide_name.c_str()); rc != ERROR_SUCCESS)
    return win::error_from(rc, "the cabinet's stream record");
  if (auto rc = ::MsiRecordSetStreamW(record.get(), 2, cabinet.c_str()); rc != ERROR_SUCCESS)
    return win::error_from(rc, "reading " + win::display(cabinet));
  if (auto rc = ::MsiViewModify(streams.get(), MSIMODIFY_INSERT, record.get()); rc != ERROR_SUCCESS)
    return win::error_from(rc, "adding the cabinet to the MSI database");
  msi_handle media;
  if (auto ok = open_view(db, L"UPDATE `Media` SET `Cabinet` = '#vigil.cab' WHERE `DiskId` = 1",
                          media, "the MSI database's Media table");
      !ok)
    return ok.error();
  if (auto rc = ::MsiDatabaseCommit(db); rc != ERROR_SUCCESS)
    return win::error_from(rc, "committing the MSI database");
  return {};
}

/// The MSI in `work` (a private folder): the database, the payload's files
/// named by the database's keys, the cabinet.
caf::expected<std::string> build_msi(const fs::path& work,
                                     const std::map<std::string, archive_member_file>& members) {
  auto database = members.find(std::string{msi_database_member});
  if (database == members.end())
    return make_error(ec::not_found, "the payload has no " + std::string{msi_database_member}
                                       + " (the MSI's database): this vigil-setup.exe was built "
                                         "without wixl");
  auto msi = work / "vigil-agent.msi";
  if (auto ok = write_file_atomically(msi, database->second.bytes, 0644); !ok)
    return ok.error();
  // The payload's installed files by name (bin/ and the top), for the
  // database's rows.
  std::map<std::string, const archive_member_file*> by_name;
  for (auto& [path, member] : members) {
    if (path.starts_with(native_package_dir))
      continue;
    auto name = path.substr(path.rfind('/') + 1);
    if (!by_name.emplace(name, &member).second)
      return invalid("the payload holds two files named " + name);
  }
  std::vector<std::pair<fs::path, std::string>> cabinet_files;
  {
    msi_handle db;
    auto transact = reinterpret_cast<LPCWSTR>(MSIDBOPEN_TRANSACT);
    if (auto rc = ::MsiOpenDatabaseW(msi.c_str(), transact, db.out()); rc != ERROR_SUCCESS)
      return win::error_from(rc, "opening the MSI database " + win::display(msi));
    auto files = database_files(db.get());
    if (!files)
      return files.error();
    for (auto& file : *files) {
      auto it = by_name.find(file.name);
      if (it == by_name.end())
        return invalid("the MSI database lists " + file.name + ", which the payload does not hold");
      if (static_cast<long long>(it->second->bytes.size()) != file.size)
        return invalid("the MSI database lists " + file.name + " with " + std::to_string(file.size)
                       + " bytes, the payload's has " + std::to_string(it->second->bytes.size())
                       + ": they are not of the same build");
      auto source = work / ("file-" + std::to_string(cabinet_files.size()));
      if (auto ok = write_file_atomically(source, it->second->bytes, 0644); !ok)
        return ok.error();
      cabinet_files.emplace_back(source, file.key);
    }
    if (auto ok = make_cabinet(work, cabinet_files); !ok)
      return ok.error();
    if (auto ok = embed_cabinet(db.get(), work / cabinet_name); !ok)
      return ok.error();
  } // the database closed before it is read
  return read_whole_file(msi);
}

} // namespace

extract_format native_package_format() noexcept {
  return extract_format::msi;
}

extract_format auto_extract_format() {
  return extract_format::msi;
}

caf::expected<std::string> make_native_package(std::string_view payload,
                                               std::string_view enrollment) {
  if (!enrollment.empty())
    return make_error(ec::unsupported, "ExtractMSI: this vigil-setup.exe carries an enrollment, "
                                       "which an MSI does not carry yet: install with "
                                       "vigil-setup.exe itself");
  auto members = read_archive_files(payload);
  if (!members)
    return members.error();
  std::error_code no_temp;
  auto temp = fs::temp_directory_path(no_temp);
  if (no_temp)
    return make_error(ec::io_error, "no temporary folder for the MSI: " + no_temp.message());
  auto work = make_private_directory(temp, "vigil-msi-");
  if (!work)
    return work.error();
  auto msi = build_msi(*work, *members);
  std::error_code ignored;
  fs::remove_all(*work, ignored);
  return msi;
}

/// The .rpm is made on Linux, by rpmbuild (installer/rpm_package.cpp).
caf::expected<std::string> make_rpm_package(std::string_view, std::string_view) {
  return make_error(ec::unsupported, "the .rpm is made by the Linux vigil-platform (rpmbuild)");
}

} // namespace vigil
