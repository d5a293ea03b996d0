#include "installer/native_package.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cstdio>
#include <map>
#include <memory>
#include <openssl/evp.h>
#include <set>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "host/paths.hpp"
#include "host/service_manager.hpp"

namespace vigil {

namespace {

/// One regular file of the payload.
struct member {
  std::string bytes;
  unsigned mode = 0644;
};

using reader_ptr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using writer_ptr = std::unique_ptr<archive, decltype(&archive_write_free)>;

/// Every regular file of the payload archive by its path ("bin/vigil-agent").
caf::expected<std::map<std::string, member>> read_members(std::string_view data) {
  reader_ptr reader{archive_read_new(), archive_read_free};
  archive_read_support_format_tar(reader.get());
  archive_read_support_filter_all(reader.get());
  if (archive_read_open_memory(reader.get(), data.data(), data.size()) != ARCHIVE_OK)
    return make_error(ec::corruption, std::string{"cannot read the payload archive: "}
                                        + archive_error_string(reader.get()));
  std::map<std::string, member> out;
  archive_entry* entry = nullptr;
  for (;;) {
    int rc = archive_read_next_header(reader.get(), &entry);
    if (rc == ARCHIVE_EOF)
      break;
    if (rc != ARCHIVE_OK)
      return make_error(ec::corruption, std::string{"damaged payload archive: "}
                                          + archive_error_string(reader.get()));
    if (archive_entry_filetype(entry) != AE_IFREG)
      continue;
    std::string path = archive_entry_pathname(entry);
    if (path.starts_with("./"))
      path.erase(0, 2);
    member m;
    m.mode = static_cast<unsigned>(archive_entry_perm(entry));
    m.bytes.resize(static_cast<size_t>(archive_entry_size(entry)));
    auto n = archive_read_data(reader.get(), m.bytes.data(), m.bytes.size());
    if (n < 0 || static_cast<size_t>(n) != m.bytes.size())
      return make_error(ec::corruption, "cannot read payload member " + path);
    out.emplace(std::move(path), std::move(m));
  }
  return out;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

/// A tar.xz written in memory: directories and files in the order added,
/// owned by root, at a fixed time (the same payload gives the same bytes).
class tar_xz {
public:
  tar_xz() : writer_{archive_write_new(), archive_write_free} {
    archive_write_set_format_gnutar(writer_.get());
    archive_write_add_filter_xz(writer_.get());
    // liblzma's multi-threaded encoder (at least 2 threads, so the same
    // block layout, and the same bytes, on any machine): Extract=deb
    // compresses the programs here, once.
    auto threads = std::to_string(std::max(2u, std::thread::hardware_concurrency()));
    archive_write_set_filter_option(writer_.get(), "xz", "threads", threads.c_str());
    archive_write_set_bytes_in_last_block(writer_.get(), 1);
    archive_write_open(writer_.get(), &out_, nullptr, &tar_xz::write, nullptr);
  }

  caf::expected<void> directory(const std::string& path) {
    return add(path, AE_IFDIR, 0755, {});
  }

  caf::expected<void> file(const std::string& path, unsigned mode, std::string_view bytes) {
    return add(path, AE_IFREG, mode, bytes);
  }

  caf::expected<std::string> finish() {
    if (archive_write_close(writer_.get()) != ARCHIVE_OK)
      return make_error(ec::io_error, std::string{"cannot finish the package: "}
                                        + archive_error_string(writer_.get()));
    return std::move(out_);
  }

private:
  static la_ssize_t write(archive*, void* out, const void* buffer, size_t length) {
    static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  }

  caf::expected<void> add(const std::string& path, unsigned type, unsigned mode,
                          std::string_view bytes) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry{archive_entry_new(),
                                                                        archive_entry_free};
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), mode);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_uname(entry.get(), "root");
    archive_entry_set_gname(entry.get(), "root");
    archive_entry_set_mtime(entry.get(), 0, 0);
    if (archive_write_header(writer_.get(), entry.get()) != ARCHIVE_OK)
      return make_error(ec::io_error, "cannot add " + path + " to the package: "
                                        + archive_error_string(writer_.get()));
    if (!bytes.empty()
        && archive_write_data(writer_.get(), bytes.data(), bytes.size())
             != static_cast<la_ssize_t>(bytes.size()))
      return make_error(ec::io_error, "cannot write " + path + " into the package: "
                                        + archive_error_string(writer_.get()));
    return {};
  }

  std::string out_; // before writer_: freeing an unfinished writer flushes into it
  writer_ptr writer_;
};

std::string md5_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_md5(), nullptr);
  std::string hex;
  char two[3];
  for (unsigned i = 0; i < size; ++i) {
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    hex += two;
  }
  return hex;
}

/// One member of a Debian package's `ar` archive: the common format dpkg
/// itself writes (name padded to 16, decimal fields, even padding).
void ar_member(std::string& out, std::string_view name, std::string_view bytes) {
  char header[61];
  std::snprintf(header, sizeof header, "%-16.16s%-12u%-6u%-6u%-8o%-10zu`\n",
                std::string{name}.c_str(), 0u, 0u, 0u, 0100644u, bytes.size());
  out.append(header, 60);
  out.append(bytes);
  if (bytes.size() % 2)
    out += '\n';
}

/// `control` with its Version and Installed-Size fields replaced.
std::string control_for(const std::string& control, const std::string& version,
                        uint64_t installed_kib) {
  std::istringstream lines{control};
  std::string out;
  bool has_size = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("Version:"))
      line = "Version: " + version;
    else if (line.starts_with("Installed-Size:")) {
      line = "Installed-Size: " + std::to_string(installed_kib);
      has_size = true;
    }
    if (!line.empty())
      out += line + "\n";
  }
  if (!has_size)
    out += "Installed-Size: " + std::to_string(installed_kib) + "\n";
  return out;
}

} // namespace

caf::expected<std::string> make_native_package(std::string_view payload) {
  auto members = read_members(payload);
  if (!members)
    return members.error();
  auto find = [&](const std::string& name) -> caf::expected<const member*> {
    auto it = members->find(name);
    if (it == members->end())
      return make_error(ec::not_found, "the payload has no " + name);
    return &it->second;
  };
  auto version = find("VERSION");
  if (!version)
    return version.error();
  auto control = find(std::string{native_package_dir} + "control");
  if (!control)
    return control.error();
  // The unit has one source (host/service_manager), as in CPack's package.
  member unit{systemd_unit_text(paths{"/"}), 0644};

  // The installed files, by their path in the package (sorted: std::map).
  std::map<std::string, const member*> files;
  for (auto& [path, m] : *members)
    if (path.starts_with("bin/") && path.find('/', 4) == std::string::npos)
      files.emplace("opt/vigil/" + path, &m);
  files.emplace("opt/vigil/VERSION", *version);
  files.emplace("lib/systemd/system/vigil-agent.service", &unit);

  tar_xz data;
  std::set<std::string> dirs;
  uint64_t bytes = 0;
  std::string md5sums;
  if (auto ok = data.directory("./"); !ok)
    return ok.error();
  for (auto& [path, m] : files) {
    // Each parent directory once, before its first file.
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      auto dir = path.substr(0, slash + 1);
      if (dirs.insert(dir).second)
        if (auto ok = data.directory("./" + dir); !ok)
          return ok.error();
    }
    if (auto ok = data.file("./" + path, m->mode, m->bytes); !ok)
      return ok.error();
    bytes += m->bytes.size();
    md5sums += md5_hex(m->bytes) + "  " + path + "\n";
  }
  auto data_tar = data.finish();
  if (!data_tar)
    return data_tar.error();

  tar_xz control_tar;
  auto control_text = control_for((*control)->bytes, trimmed((*version)->bytes),
                                  (bytes + 1023) / 1024);
  for (auto ok : {control_tar.directory("./"), control_tar.file("./control", 0644, control_text),
                  control_tar.file("./md5sums", 0644, md5sums)})
    if (!ok)
      return ok.error();
  auto control_bytes = control_tar.finish();
  if (!control_bytes)
    return control_bytes.error();

  std::string deb = "!<arch>\n";
  ar_member(deb, "debian-binary", "2.0\n");
  ar_member(deb, "control.tar.xz", *control_bytes);
  ar_member(deb, "data.tar.xz", *data_tar);
  return deb;
}

} // namespace vigil
