#include "installer/archive_io.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <thread>

#include "common/error.hpp"

namespace vigil {

namespace {

using reader_ptr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using writer_ptr = std::unique_ptr<archive, decltype(&archive_write_free)>;

/// Every member's time (see `tar_xz_writer`): 2024-01-01T00:00:00Z, not
/// 1970 (lintian's package-contains-ancient-file).
constexpr time_t fixed_mtime = 1704067200;

la_ssize_t append(archive*, void* out, const void* buffer, size_t length) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

} // namespace

caf::expected<std::map<std::string, archive_member_file>> read_archive_files(std::string_view data) {
  reader_ptr reader{archive_read_new(), archive_read_free};
  archive_read_support_format_tar(reader.get());
  archive_read_support_filter_all(reader.get());
  if (archive_read_open_memory(reader.get(), data.data(), data.size()) != ARCHIVE_OK)
    return make_error(ec::corruption, std::string{"cannot read the payload archive: "}
                                        + archive_error_string(reader.get()));
  std::map<std::string, archive_member_file> out;
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
    archive_member_file m;
    m.mode = static_cast<unsigned>(archive_entry_perm(entry));
    m.bytes.resize(static_cast<size_t>(archive_entry_size(entry)));
    auto n = archive_read_data(reader.get(), m.bytes.data(), m.bytes.size());
    if (n < 0 || static_cast<size_t>(n) != m.bytes.size())
      return make_error(ec::corruption, "cannot read payload member " + path);
    out.emplace(std::move(path), std::move(m));
  }
  return out;
}


struct tar_xz_writer::impl {
  std::string out; // before writer: freeing an unfinished writer flushes into it
  writer_ptr writer{archive_write_new(), archive_write_free};

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
    archive_entry_set_mtime(entry.get(), fixed_mtime, 0);
    if (archive_write_header(writer.get(), entry.get()) != ARCHIVE_OK)
      return make_error(ec::io_error, "cannot add " + path + " to the archive: "
                                        + archive_error_string(writer.get()));
    if (!bytes.empty()
        && archive_write_data(writer.get(), bytes.data(), bytes.size())
             != static_cast<la_ssize_t>(bytes.size()))
      return make_error(ec::io_error, "cannot write " + path + " into the archive: "
                                        + archive_error_string(writer.get()));
    return {};
  }
};

tar_xz_writer::tar_xz_writer() : impl_{std::make_unique<impl>()} {
  auto* w = impl_->writer.get();
  archive_write_set_format_gnutar(w);
  archive_write_add_filter_xz(w);
  // liblzma's multi-threaded encoder (at least 2 threads, so the same
  // block layout, and the same bytes, on any machine): Extract=deb
  // compresses the programs here, once.
  auto threads = std::to_string(std::max(2u, std::thread::hardware_concurrency()));
  archive_write_set_filter_option(w, "xz", "threads", threads.c_str());
  archive_write_set_bytes_in_last_block(w, 1);
  archive_write_open(w, &impl_->out, nullptr, &append, nullptr);
}

tar_xz_writer::~tar_xz_writer() = default;

caf::expected<void> tar_xz_writer::directory(const std::string& path) {
  return impl_->add(path, AE_IFDIR, 0755, {});
}

caf::expected<void> tar_xz_writer::file(const std::string& path, unsigned mode,
                                        std::string_view bytes) {
  return impl_->add(path, AE_IFREG, mode, bytes);
}

caf::expected<std::string> tar_xz_writer::finish() {
  if (archive_write_close(impl_->writer.get()) != ARCHIVE_OK)
    return make_error(ec::io_error, std::string{"cannot finish the archive: "}
                                      + archive_error_string(impl_->writer.get()));
  return std::move(impl_->out);
}

} // namespace vigil
