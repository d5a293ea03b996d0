#include "platform/releases.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "common/signed_document.hpp"
#include "common/text.hpp"
#include "host/hive_file.hpp"
#include "host/program_integrity.hpp"
#include "installer/native_package.hpp"
#include "installer/payload.hpp"
#include "platform/platform_store.hpp"
#include "protocol/zstd.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace vigil::platform {

namespace {

json metadata_json(const release_metadata& m) {
  return json::parse(m.to_json_text());
}

caf::expected<uint64_t> highest_serial(kv_store& store) {
  auto stored = store.get(column::settings, setting::release_serial);
  if (!stored)
    return stored.error();
  if (!*stored)
    return uint64_t{0};
  uint64_t n = 0;
  auto& text = **stored;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (err != std::errc{} || end != text.data() + text.size())
    return make_error(ec::corruption, "the stored highest release serial '" + text
                                        + "' is not a number");
  return n;
}

} // namespace

json to_json(const release_record& record) {
  json out{{"metadata", metadata_json(record.metadata)}, {"envelope", record.envelope}};
  if (record.halted)
    out["halted"] = {{"at", record.halted->at},
                     {"tried", record.halted->tried},
                     {"rolled_back", record.halted->rolled_back}};
  return out;
}

caf::expected<release_record> parse_release_record(const json& doc) {
  auto bad = [](const std::string& what) {
    return make_error(ec::corruption, "stored release record: " + what);
  };
  if (!doc.is_object() || !doc.contains("metadata") || !doc.contains("envelope")
      || !doc["envelope"].is_string())
    return bad("no metadata or envelope");
  auto meta = release_metadata::parse(doc["metadata"].dump());
  if (!meta)
    return bad(context_of(meta.error()));
  release_record out{std::move(*meta), doc["envelope"].get<std::string>(), std::nullopt};
  // The envelope must carry this very metadata: what is offered is what is
  // listed.
  auto envelope = json::parse(out.envelope, nullptr, false);
  if (envelope.is_discarded() || !envelope.is_object() || !envelope.contains("signed")
      || !envelope["signed"].is_string()
      || envelope["signed"].get<std::string>() != out.metadata.to_json_text())
    return bad("the envelope of " + out.metadata.version + " does not carry its metadata");
  if (auto h = doc.find("halted"); h != doc.end()) {
    if (!h->is_object())
      return bad("\"halted\" is not an object");
    out.halted = release_halt{h->value("at", int64_t{0}), h->value("tried", uint64_t{0}),
                              h->value("rolled_back", uint64_t{0})};
  }
  return out;
}

fs::path release_dir(const fs::path& data_dir, const std::string& version) {
  return data_dir / "releases" / version;
}

fs::path release_package_file(const fs::path& data_dir, const std::string& version) {
  return release_dir(data_dir, version) / std::string{release_package_name};
}

fs::path release_metadata_file(const fs::path& data_dir, const std::string& version) {
  return release_dir(data_dir, version) / "metadata.json";
}

fs::path release_patch_file(const fs::path& data_dir, const std::string& version,
                            const std::string& from) {
  return release_dir(data_dir, version) / ("patch-from-" + from + ".zst");
}

std::vector<std::string> release_patches_of(const fs::path& data_dir, const std::string& version) {
  std::vector<std::pair<vigil::version, std::string>> found;
  std::error_code ignored;
  for (auto& entry : fs::directory_iterator(release_dir(data_dir, version), ignored)) {
    auto name = entry.path().filename().string();
    if (!name.starts_with("patch-from-") || !name.ends_with(".zst"))
      continue;
    auto from = name.substr(11, name.size() - 11 - 4);
    if (auto v = vigil::version::parse(from))
      found.emplace_back(*v, from);
  }
  std::sort(found.rbegin(), found.rend());
  std::vector<std::string> out;
  for (auto& f : found)
    out.push_back(f.second);
  return out;
}

namespace {

/// Writes the patches `options` asks for, to the release `to` (expanded
/// `expanded_to`) from the highest earlier releases in `existing`.
caf::expected<void> make_patches(const fs::path& data_dir,
                                 const std::map<std::string, release_record>& existing,
                                 const std::string& to, const std::string& expanded_to,
                                 const patch_options& options) {
  if (options.level <= 0)
    return {};
  auto target = vigil::version::parse(to);
  std::vector<std::pair<vigil::version, std::string>> earlier;
  for (auto& [v, record] : existing)
    if (auto parsed = vigil::version::parse(v); parsed && *parsed < *target)
      earlier.emplace_back(*parsed, v);
  std::sort(earlier.rbegin(), earlier.rend());
  if (earlier.size() > options.from_count)
    earlier.resize(options.from_count);
  for (auto& [parsed, from] : earlier) {
    auto file = release_package_file(data_dir, from);
    auto bytes = read_whole_file(file);
    if (!bytes)
      continue; // its package is gone: no patch from it
    auto expanded_from = expand_package(*bytes, file.string());
    if (!expanded_from)
      return expanded_from.error();
    // Beyond the window the agents decode with, no patch can be made: said
    // plainly (it was an exception, "internal error" to the administrator).
    if (!protocol::patch_window_fits(expanded_from->size(), expanded_to.size()))
      return make_error(ec::invalid_argument,
                        "no patch from " + from + ": the two expanded packages ("
                          + std::to_string((expanded_from->size() + expanded_to.size()) >> 20)
                          + " MiB) exceed the patch window ("
                          + std::to_string((size_t{1} << protocol::max_patch_window_log) >> 20)
                          + " MiB); add the release without --patch-level");
    auto patch = protocol::zstd_patch(*expanded_from, expanded_to, options.level);
    if (auto ok = write_file_atomically(release_patch_file(data_dir, to, from), patch); !ok)
      return ok.error();
  }
  return {};
}

} // namespace

caf::expected<release_package> read_release_package(const fs::path& file) {
  auto payload = read_embedded_payload(file);
  if (!payload) {
    if (code_of(payload.error()) == ec::not_found && fs::exists(file))
      return make_error(ec::invalid_argument, file.string()
                                                + " is not a vigil-setup file: it carries no "
                                                  "agent payload");
    return payload.error();
  }
  auto text = archive_member(*payload, "VERSION");
  if (!text)
    return make_error(ec::invalid_argument, file.string()
                                              + " is not a release: its payload has no VERSION ("
                                              + render(text.error()) + ")");
  auto named = trim_blanks_and_line_breaks(*text);
  auto parsed = version::parse(named);
  if (!parsed)
    return make_error(ec::invalid_argument, file.string() + ": the payload's VERSION '"
                                              + std::string{named} + "' is not X.Y.Z");
  auto bytes = read_whole_file(file);
  if (!bytes)
    return bytes.error();
  return release_package{std::move(*bytes), parsed->to_string()};
}

namespace {

/// The store's chunks of a release's files.
constexpr size_t release_file_chunk = 1 << 20;

/// Adds to `batch` every file of `version`'s release directory, in chunks,
/// after erasing what the store held for that version (a re-added version
/// may have other patches).
caf::expected<void> put_release_files(kv_store& store, write_batch& batch,
                                      const fs::path& data_dir, const std::string& version) {
  auto prefix = join_key({version, ""});
  auto old = store.scan(column::release_files, prefix, [&](std::string_view key, std::string_view) {
    batch.erase(column::release_files, std::string{key});
    return true;
  });
  if (!old)
    return old.error();
  std::error_code err;
  for (auto& entry : fs::directory_iterator{release_dir(data_dir, version), err}) {
    if (!entry.is_regular_file())
      continue;
    auto bytes = read_whole_file(entry.path());
    if (!bytes)
      return bytes.error();
    auto name = entry.path().filename().string();
    for (size_t at = 0; at == 0 || at < bytes->size(); at += release_file_chunk)
      batch.put(column::release_files, join_key({version, name, padded(at)}),
                bytes->substr(at, release_file_chunk));
  }
  if (err)
    return make_error(ec::io_error, "listing " + release_dir(data_dir, version).string() + ": "
                                      + err.message());
  return {};
}

} // namespace

caf::expected<release_record> store_release(kv_store& store, const fs::path& data_dir,
                                            const release_package& package,
                                            const signing_key& key, int64_t now,
                                            int64_t valid_s, const patch_options& patches) {
  if (valid_s <= 0)
    return make_error(ec::invalid_argument, "a release's validity must be positive");
  auto previous = highest_serial(store);
  if (!previous)
    return previous.error();
  // The counter is the authority; the records only guard against a store
  // that lost it (serials never go back, whatever happens to the counter).
  auto existing = load_releases(store);
  if (!existing)
    return existing.error();
  uint64_t serial = *previous;
  for (auto& [version, record] : *existing)
    serial = std::max(serial, record.metadata.serial);
  ++serial;
  release_record record;
  auto& m = record.metadata;
  m.version = package.version;
  m.sha256 = sha256_hex(package.bytes);
  m.size = package.bytes.size();
  m.serial = serial;
  m.issued_at = now;
  m.expires_at = now + valid_s;
  m.package_name = std::string{release_package_name};
  auto expanded = expand_package(package.bytes, std::string{release_package_name});
  if (!expanded)
    return expanded.error();
  m.expanded_sha256 = sha256_hex(*expanded);
  m.expanded_size = expanded->size();
  // What the package installs, so that a host can tell its reference copy
  // of the program files is the one released (SPEC §13).
  auto archive = package_payload(package.bytes, std::string{release_package_name});
  if (!archive)
    return archive.error();
  auto files = payload_program_files(*archive, native_package_dir);
  if (!files)
    return files.error();
  m.files_sha256 = program_files_digest(std::move(*files));
  record.envelope = sign_document(key, m.to_json_text());
  std::error_code failed;
  fs::create_directories(release_dir(data_dir, m.version), failed);
  if (failed)
    return make_error(ec::io_error, "creating " + release_dir(data_dir, m.version).string() + ": "
                                      + failed.message());
  // Patches from earlier releases (a version added again replaces them).
  for (auto& old : release_patches_of(data_dir, m.version))
    fs::remove(release_patch_file(data_dir, m.version, old), failed);
  if (auto ok = make_patches(data_dir, *existing, m.version, *expanded, patches); !ok)
    return ok.error();
  // Files first, then the record: a record never names a package that is not
  // on disk (a crash in between leaves files that the next add replaces).
  if (auto ok = write_file_atomically(release_package_file(data_dir, m.version), package.bytes);
      !ok)
    return ok.error();
  if (auto ok = write_file_atomically(release_metadata_file(data_dir, m.version),
                                      record.envelope + "\n");
      !ok)
    return ok.error();
  write_batch batch;
  if (auto ok = put_release_files(store, batch, data_dir, m.version); !ok)
    return ok.error();
  put_release(batch, record);
  batch.put(column::settings, setting::release_serial, std::to_string(serial));
  if (auto ok = store.write(batch, {true}); !ok)
    return ok.error();
  return record;
}

caf::expected<std::map<std::string, release_record>> load_releases(kv_store& store) {
  std::map<std::string, release_record> out;
  caf::error failure;
  auto scanned = store.scan(column::releases, "", [&](std::string_view key, std::string_view value) {
    auto doc = json::parse(value, nullptr, false);
    auto record = parse_release_record(doc);
    if (!record) {
      failure = make_error(ec::corruption, "release " + std::string{key} + ": "
                                             + context_of(record.error()));
      return false;
    }
    out.emplace(std::string{key}, std::move(*record));
    return true;
  });
  if (!scanned)
    return scanned.error();
  if (failure)
    return failure;
  return out;
}

void put_release(write_batch& batch, const release_record& record) {
  batch.put(column::releases, record.metadata.version, to_json(record).dump());
}

caf::expected<std::string> read_package_bytes(const fs::path& data_dir,
                                              const std::string& version, uint64_t first,
                                              uint64_t count) {
  auto file = release_package_file(data_dir, version);
  std::ifstream in{file, std::ios::binary};
  if (!in)
    return make_error(ec::not_found, "no package file " + file.string());
  std::string out(count, '\0');
  in.seekg(static_cast<std::streamoff>(first));
  in.read(out.data(), static_cast<std::streamsize>(count));
  if (in.bad() || (in.fail() && !in.eof()))
    return make_error(ec::io_error, "reading " + file.string() + ": " + std::strerror(errno));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

caf::expected<void> materialize_release_files(kv_store& store, const fs::path& data_dir,
                                              const release_record& record) {
  auto& version = record.metadata.version;
  std::error_code err;
  if (fs::exists(release_metadata_file(data_dir, version), err))
    return {};
  // name -> content, the chunks in offset order (their keys sort so).
  std::map<std::string, std::string> files;
  auto scanned = store.scan(column::release_files, join_key({version, ""}),
                            [&](std::string_view key, std::string_view value) {
                              auto rest = key.substr(version.size() + 1);
                              files[std::string{rest.substr(0, rest.find('|'))}] += value;
                              return true;
                            });
  if (!scanned)
    return scanned.error();
  if (files.empty())
    return {};
  auto package_name = release_package_file(data_dir, version).filename().string();
  auto metadata_name = release_metadata_file(data_dir, version).filename().string();
  auto package = files.find(package_name);
  if (package == files.end() || !files.contains(metadata_name))
    return make_error(ec::corruption, "the store holds part of release " + version
                                        + "'s files: no " + package_name + " or "
                                        + metadata_name);
  if (sha256_hex(package->second) != record.metadata.sha256)
    return make_error(ec::hash_mismatch, "release " + version + "'s package in the store does "
                                           "not match its signed SHA-256");
  if (auto made = make_directories(release_dir(data_dir, version), 0755); !made)
    return made.error();
  for (auto& [name, bytes] : files)
    if (name != metadata_name)
      if (auto ok = write_file_atomically(release_dir(data_dir, version) / name, bytes); !ok)
        return ok.error();
  return write_file_atomically(release_metadata_file(data_dir, version), files[metadata_name]);
}

} // namespace vigil::platform
