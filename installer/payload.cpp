#include "installer/payload.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "host/atomic_file.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

constexpr size_t trailer_size = payload_magic.size() + 16;

void put_le64(std::string& out, uint64_t n) {
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>((n >> (8 * i)) & 0xFF);
}

uint64_t get_le64(std::string_view in) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = n << 8 | static_cast<uint8_t>(in[static_cast<size_t>(i)]);
  return n;
}

using reader_ptr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using writer_ptr = std::unique_ptr<archive, decltype(&archive_write_free)>;

caf::expected<reader_ptr> open_reader(std::string_view data) {
  reader_ptr reader{archive_read_new(), archive_read_free};
  archive_read_support_format_tar(reader.get());
  archive_read_support_filter_all(reader.get());
  if (archive_read_open_memory(reader.get(), data.data(), data.size()) != ARCHIVE_OK)
    return make_error(ec::corruption, std::string{"cannot read the payload archive: "}
                                        + archive_error_string(reader.get()));
  return reader;
}

} // namespace

namespace {

/// Where the payload of `all` (a vigil-setup file's bytes) starts, and its size.
caf::expected<std::pair<uint64_t, uint64_t>> locate_payload(std::string_view all,
                                                            const fs::path& file) {
  if (all.size() < trailer_size || all.substr(all.size() - trailer_size, payload_magic.size())
                                     != payload_magic)
    return make_error(ec::not_found, file.string() + " carries no agent payload");
  auto trailer = all.substr(all.size() - 16);
  auto offset = get_le64(trailer.substr(0, 8));
  auto size = get_le64(trailer.substr(8, 8));
  if (offset + size + trailer_size != all.size())
    return make_error(ec::corruption, "the payload trailer of " + file.string() + " is damaged");
  return std::make_pair(offset, size);
}

} // namespace

caf::expected<std::string> read_embedded_payload(const fs::path& file) {
  auto bytes = read_whole_file(file);
  if (!bytes)
    return bytes.error();
  auto where = locate_payload(*bytes, file);
  if (!where)
    return where.error();
  return bytes->substr(where->first, where->second);
}

namespace {

/// Where the attachment before the payload at `offset` starts, and its size;
/// nothing when there is none.
std::optional<std::pair<uint64_t, uint64_t>> locate_attachment(std::string_view all,
                                                               uint64_t offset) {
  auto marker = attachment_magic.size() + 8;
  if (offset < marker || all.substr(offset - marker, attachment_magic.size()) != attachment_magic)
    return std::nullopt;
  auto size = get_le64(all.substr(offset - 8, 8));
  if (size > offset - marker)
    return std::nullopt;
  return std::make_pair(offset - marker - size, size);
}

} // namespace

caf::expected<std::string> read_setup_program(const fs::path& file) {
  auto bytes = read_whole_file(file);
  if (!bytes)
    return bytes.error();
  auto where = locate_payload(*bytes, file);
  if (!where)
    return where.error();
  auto attachment = locate_attachment(*bytes, where->first);
  bytes->resize(attachment ? attachment->first : where->first);
  return bytes;
}

caf::expected<std::string> read_setup_attachment(const fs::path& file) {
  auto bytes = read_whole_file(file);
  if (!bytes)
    return bytes.error();
  auto where = locate_payload(*bytes, file);
  if (!where)
    return where.error();
  auto attachment = locate_attachment(*bytes, where->first);
  if (!attachment)
    return make_error(ec::not_found, file.string() + " carries no attachment");
  return bytes->substr(attachment->first, attachment->second);
}

std::string packed_setup(std::string program, std::string_view archive,
                         std::string_view attachment) {
  if (!attachment.empty()) {
    program += attachment;
    program += attachment_magic;
    put_le64(program, attachment.size());
  }
  auto offset = program.size();
  program += archive;
  program += payload_magic;
  put_le64(program, offset);
  put_le64(program, archive.size());
  return program;
}

namespace {

/// Where a member is written: the path as the system spells it (UTF-16 on
/// Windows, which libarchive's disk writer takes whole).
[[maybe_unused]] void set_member_path(archive_entry* entry, const char* path) {
  archive_entry_set_pathname(entry, path);
}
[[maybe_unused]] void set_member_path(archive_entry* entry, const wchar_t* path) {
  archive_entry_copy_pathname_w(entry, path);
}

/// A member's name without a leading "./".
std::string_view member_path(std::string_view name) {
  if (name.starts_with("./"))
    name.remove_prefix(2);
  return name;
}

/// Whether the member `name` is under the directory `skip` (or is it).
bool is_skipped(std::string_view name, std::string_view skip) {
  if (skip.empty())
    return false;
  auto relative = member_path(name);
  auto dir = skip.substr(0, skip.size() - (skip.ends_with('/') ? 1 : 0));
  return relative.starts_with(skip) || relative == dir;
}

/// Moves `reader` to its next member (`*entry`): true, or false at the end of
/// the archive; a damaged archive is `ec::corruption`.
caf::expected<bool> next_member(archive* reader, archive_entry** entry) {
  int rc = archive_read_next_header(reader, entry);
  if (rc == ARCHIVE_EOF)
    return false;
  if (rc != ARCHIVE_OK)
    return make_error(ec::corruption, std::string{"damaged payload archive: "}
                                        + archive_error_string(reader));
  return true;
}

/// The content of the member `entry` that `reader` is at.
caf::expected<std::string> member_content(archive* reader, archive_entry* entry) {
  std::string content(static_cast<size_t>(archive_entry_size(entry)), '\0');
  auto n = archive_read_data(reader, content.data(), content.size());
  if (n < 0 || static_cast<size_t>(n) != content.size())
    return make_error(ec::corruption, "cannot read payload member "
                                        + std::string{archive_entry_pathname(entry)});
  return content;
}

} // namespace

caf::expected<std::string> package_payload(std::string_view package, std::string_view name) {
  auto where = locate_payload(package, fs::path{std::string{name}});
  if (!where)
    return where.error();
  return std::string{package.substr(where->first, where->second)};
}

caf::expected<std::vector<program_file>> payload_program_files(std::string_view archive,
                                                               std::string_view skip) {
  auto reader = open_reader(archive);
  if (!reader)
    return reader.error();
  std::vector<program_file> files;
  archive_entry* entry = nullptr;
  for (;;) {
    auto more = next_member(reader->get(), &entry);
    if (!more)
      return more.error();
    if (!*more)
      return files;
    std::string name = archive_entry_pathname(entry);
    if (archive_entry_filetype(entry) != AE_IFREG || is_skipped(name, skip)) {
      archive_read_data_skip(reader->get());
      continue;
    }
    auto content = member_content(reader->get(), entry);
    if (!content)
      return content.error();
    files.push_back({std::string{member_path(name)}, sha256_hex(*content), content->size(),
                     static_cast<uint32_t>(archive_entry_perm(entry) & 07777)});
  }
}

caf::expected<std::string> expand_package(std::string_view package, std::string_view name) {
  auto where = locate_payload(package, fs::path{std::string{name}});
  if (!where)
    return where.error();
  auto attachment = locate_attachment(package, where->first);
  auto program = package.substr(0, attachment ? attachment->first : where->first);
  auto archive_bytes = package.substr(where->first, where->second);
  // The archive's bytes through its compression filter, as one raw stream.
  reader_ptr reader{archive_read_new(), archive_read_free};
  archive_read_support_format_raw(reader.get());
  archive_read_support_filter_all(reader.get());
  archive_entry* entry = nullptr;
  if (archive_read_open_memory(reader.get(), archive_bytes.data(), archive_bytes.size()) != ARCHIVE_OK
      || archive_read_next_header(reader.get(), &entry) != ARCHIVE_OK)
    return make_error(ec::corruption, std::string{name} + ": cannot read its payload archive: "
                                        + archive_error_string(reader.get()));
  std::string tar;
  char buffer[64 * 1024];
  for (;;) {
    auto n = archive_read_data(reader.get(), buffer, sizeof buffer);
    if (n < 0)
      return make_error(ec::corruption, std::string{name} + ": cannot decompress its payload: "
                                          + archive_error_string(reader.get()));
    if (n == 0)
      break;
    tar.append(buffer, static_cast<size_t>(n));
  }
  return packed_setup(std::string{program}, tar);
}

caf::expected<void> pack_payload(const fs::path& stub, const std::string& archive,
                                 const fs::path& out) {
  auto program = read_whole_file(stub);
  if (!program)
    return program.error();
  return write_file_atomically(out, packed_setup(std::move(*program), archive), 0755);
}

caf::expected<void> extract_archive(std::string_view data, const fs::path& destination,
                                    std::string_view skip) {
  auto reader = open_reader(data);
  if (!reader)
    return reader.error();
  writer_ptr writer{archive_write_disk_new(), archive_write_free};
  archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME
                                                 | ARCHIVE_EXTRACT_SECURE_NODOTDOT
                                                 | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  // Members are checked below and re-rooted at `destination` (an absolute
  // path), which is why NOABSOLUTEPATHS cannot be asked of libarchive.
  archive_entry* entry = nullptr;
  for (;;) {
    auto more = next_member(reader->get(), &entry);
    if (!more)
      return more.error();
    if (!*more)
      break;
    std::string name = archive_entry_pathname(entry);
    if (name.starts_with("/") || name.find("..") != std::string::npos)
      return make_error(ec::corruption, "payload member '" + name + "' escapes the destination");
    if (is_skipped(name, skip)) {
      archive_read_data_skip(reader->get());
      continue;
    }
    auto target = (destination / name).lexically_normal();
    set_member_path(entry, target.c_str());
    if (archive_write_header(writer.get(), entry) != ARCHIVE_OK)
      return make_error(ec::io_error, "cannot extract " + target.string() + ": "
                                        + archive_error_string(writer.get()));
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int rc = ARCHIVE_OK;
    while ((rc = archive_read_data_block(reader->get(), &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(writer.get(), block, size, offset) != ARCHIVE_OK)
        return make_error(ec::io_error, "cannot write " + target.string() + ": "
                                          + archive_error_string(writer.get()));
    }
    if (rc != ARCHIVE_EOF)
      return make_error(ec::corruption, std::string{"damaged payload member: "}
                                          + archive_error_string(reader->get()));
    if (archive_write_finish_entry(writer.get()) != ARCHIVE_OK)
      return make_error(ec::io_error, "cannot finish " + target.string() + ": "
                                        + archive_error_string(writer.get()));
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK)
    return make_error(ec::io_error, std::string{"cannot finish extracting: "}
                                      + archive_error_string(writer.get()));
  return {};
}

caf::expected<std::string> archive_member(std::string_view data, std::string_view name) {
  auto reader = open_reader(data);
  if (!reader)
    return reader.error();
  archive_entry* entry = nullptr;
  while (archive_read_next_header(reader->get(), &entry) == ARCHIVE_OK) {
    if (member_path(archive_entry_pathname(entry)) != name)
      continue;
    return member_content(reader->get(), entry);
  }
  return make_error(ec::not_found, "the payload has no " + std::string{name});
}

} // namespace vigil
