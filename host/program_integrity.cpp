#include "host/program_integrity.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "common/signed_document.hpp"
#include "host/atomic_file.hpp"
#include "host/hive_store.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

constexpr const char* manifest_name = "files.json";

std::string to_json(const program_manifest& m) {
  auto files = nlohmann::json::array();
  for (auto& f : m.files)
    files.push_back({{"path", f.path}, {"sha256", f.sha256}, {"size", f.size}, {"mode", f.mode}});
  return nlohmann::json{{"version", m.version}, {"files", files}}.dump(1) + "\n";
}

/// Whether `relative` stays inside the directory it is relative to.
bool is_safe_relative(const std::string& relative) {
  fs::path p{relative};
  if (relative.empty() || p.is_absolute())
    return false;
  for (auto& part : p)
    if (part == ".." || part == ".")
      return false;
  return true;
}

} // namespace

std::string program_files_digest(std::vector<program_file> files) {
  std::sort(files.begin(), files.end(),
            [](const program_file& a, const program_file& b) { return a.path < b.path; });
  auto list = nlohmann::json::array();
  for (auto& f : files)
    list.push_back({f.path, f.sha256, f.size, f.mode});
  return sha256_hex(list.dump());
}

caf::expected<void> check_against_release(const program_manifest& installed,
                                          const release_metadata& meta) {
  if (meta.version != installed.version || meta.files_sha256.empty())
    return make_error(ec::not_found, "no signed list of program files for version "
                                       + installed.version);
  auto digest = program_files_digest(installed.files);
  if (digest != meta.files_sha256)
    return make_error(ec::hash_mismatch, "the reference list of program files "
                                           + installed.version + " hashes to " + digest
                                           + ", the signed release metadata says "
                                           + meta.files_sha256);
  return {};
}

fs::path release_metadata_file(const paths& p) {
  return p.state_dir() / "release-metadata.json";
}

caf::expected<void> keep_release_metadata(const paths& p, std::string_view envelope) {
  auto file = release_metadata_file(p);
  if (auto kept = read_whole_file(file); kept && *kept == envelope)
    return {};
  return write_file_atomically(file, std::string{envelope}, 0644);
}

caf::expected<std::optional<release_metadata>>
kept_release_metadata(const paths& p, const trusted_keys& keys, std::string_view version) {
  auto file = release_metadata_file(p);
  std::error_code err;
  if (!fs::exists(file, err))
    return std::optional<release_metadata>{};
  auto kept = read_whole_file(file);
  if (!kept)
    return kept.error();
  auto payload = open_document(*kept, keys);
  if (!payload)
    return payload.error();
  auto parsed = release_metadata::parse(*payload);
  if (!parsed)
    return parsed.error();
  if (parsed->version != version)
    return std::optional<release_metadata>{};
  return std::optional<release_metadata>{std::move(*parsed)};
}

caf::expected<bool> verify_reference_list(const paths& p, const program_manifest& installed,
                                          const trusted_keys* keys, std::string* unusable) {
  if (keys == nullptr)
    return false;
  auto meta = kept_release_metadata(p, *keys, installed.version);
  if (!meta) {
    if (unusable != nullptr)
      *unusable = render(meta.error());
    return false;
  }
  if (!*meta)
    return false;
  auto checked = check_against_release(installed, **meta);
  if (checked)
    return true;
  if (code_of(checked.error()) == ec::not_found)
    return false;
  return checked.error();
}

fs::path pristine_dir(const paths& p, std::string_view version) {
  return p.state_dir() / "pristine" / std::string{version};
}

caf::expected<program_manifest> keep_pristine_copy(const paths& p, std::string_view version,
                                                   std::string_view keep_also) {
  if (version.empty() || !is_safe_relative(std::string{version}))
    return make_error(ec::invalid_argument, "a version to keep files for: '" + std::string{version}
                                              + "'");
  auto base = p.state_dir() / "pristine";
  auto target = pristine_dir(p, version);
  auto building = fs::path{target.string() + ".new"};
  std::error_code err;
  fs::remove_all(building, err);
  if (auto made = make_directories(base, 0700); !made)
    return made.error();
  if (auto made = make_directories(building, 0700); !made)
    return made.error();
  program_manifest manifest;
  manifest.version = std::string{version};
  auto root = p.program_files();
  for (auto it = fs::recursive_directory_iterator{root, err}; !err && it != fs::end(it);
       it.increment(err)) {
    if (!it->is_regular_file() || it->is_symlink())
      continue;
    auto relative = fs::relative(it->path(), root).generic_string();
    auto content = read_whole_file(it->path());
    if (!content)
      return content.error();
    auto facts = file_facts_of(it->path());
    if (!facts)
      return facts.error();
    auto copy = building / relative;
    if (auto made = make_directories(copy.parent_path(), 0700); !made)
      return made.error();
    if (auto ok = write_file_atomically(copy, *content, 0600); !ok)
      return ok.error();
    manifest.files.push_back({relative, sha256_hex(*content), content->size(),
                              facts->mode});
  }
  if (err)
    return make_system_error(err.value(), "list " + root.string());
  if (auto ok = write_file_atomically(building / manifest_name, to_json(manifest)); !ok)
    return ok.error();
  fs::remove_all(target, err);
  fs::rename(building, target, err);
  if (err)
    return make_system_error(err.value(), "move " + building.string() + " into place");
  for (auto& entry : fs::directory_iterator{base, err}) {
    auto name = entry.path().filename().string();
    if (name != version && name != keep_also)
      fs::remove_all(entry.path(), err);
  }
  return manifest;
}

caf::expected<program_manifest> load_program_manifest(const paths& p, std::string_view version) {
  auto file = pristine_dir(p, version) / manifest_name;
  std::error_code err;
  if (!fs::exists(file, err))
    return make_error(ec::not_found, "no list of installed files for version "
                                       + std::string{version} + " (" + file.string() + ")");
  auto text = read_whole_file(file);
  if (!text)
    return text.error();
  auto json = nlohmann::json::parse(*text, nullptr, false);
  auto bad = [&](const std::string& why) {
    return make_error(ec::parse_error, file.string() + ": " + why);
  };
  if (!json.is_object() || !json.contains("files") || !json["files"].is_array())
    return bad("not a list of installed files");
  program_manifest m;
  m.version = json.value("version", "");
  for (auto& f : json["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string()
        || !f.contains("sha256") || !f["sha256"].is_string() || !f.contains("size")
        || !f["size"].is_number_unsigned() || !f.contains("mode")
        || !f["mode"].is_number_unsigned())
      return bad("an entry without path, sha256, size and mode");
    program_file entry{f["path"], f["sha256"], f["size"], f["mode"]};
    if (!is_safe_relative(entry.path) || !is_sha256_hex(entry.sha256))
      return bad("a bad entry for '" + entry.path + "'");
    m.files.push_back(std::move(entry));
  }
  return m;
}

program_file_checker::program_file_checker(paths p, program_manifest manifest)
  : paths_{std::move(p)}, manifest_{std::move(manifest)} {
}

std::vector<file_tamper> program_file_checker::check() {
  std::vector<file_tamper> found;
  for (auto& f : manifest_.files) {
    auto file = paths_.program_files() / f.path;
    auto facts = file_facts_of(file);
    if (!facts) {
      good_.erase(f.path);
      found.push_back({f.path, "deleted"});
      continue;
    }
    if (!facts->regular) {
      good_.erase(f.path);
      found.push_back({f.path, "not a regular file"});
      continue;
    }
    auto& now = *facts;
    if (auto it = good_.find(f.path); it != good_.end() && it->second == now)
      continue;
    if (now.mode != f.mode) {
      found.push_back({f.path, "mode changed"});
      continue;
    }
    if (!now.owned_by_admin && running_as_admin()) {
      found.push_back({f.path, "owner changed"});
      continue;
    }
    auto content = now.size == f.size ? read_whole_file(file) : caf::expected<std::string>{""};
    if (now.size != f.size || !content
        || sha256_hex(*content) != f.sha256) {
      found.push_back({f.path, "content changed"});
      continue;
    }
    good_[f.path] = now;
  }
  return found;
}

caf::expected<void> program_file_checker::restore(const std::string& file) {
  auto it = std::find_if(manifest_.files.begin(), manifest_.files.end(),
                         [&](const program_file& f) { return f.path == file; });
  if (it == manifest_.files.end())
    return make_error(ec::not_found, file + " is not an installed program file");
  auto reference = pristine_dir(paths_, manifest_.version) / it->path;
  auto content = read_whole_file(reference);
  if (!content)
    return content.error();
  if (sha256_hex(*content) != it->sha256)
    return make_error(ec::hash_mismatch, "the reference copy " + reference.string()
                                           + " was altered too: cannot restore " + file);
  auto target = paths_.program_files() / it->path;
  std::error_code err;
  fs::create_directories(target.parent_path(), err);
  if (fs::is_directory(fs::symlink_status(target, err)))
    fs::remove_all(target, err);
  // Created by this (root) process with the mode set before any byte.
  if (auto ok = write_file_atomically(target, *content, it->mode); !ok)
    return ok.error();
  good_.erase(it->path);
  return {};
}

} // namespace vigil
