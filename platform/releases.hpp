#pragma once

// Releases of self-patching (SPEC §12) as the platform keeps them: the package
// file under DIR/releases/<version>/ and its metadata, signed with the
// platform's root key, in the store.

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/release_metadata.hpp"
#include "common/signing.hpp"
#include "storage/kv_store.hpp"

namespace vigil::platform {

/// The file name every release package is served and signed as.
inline constexpr std::string_view release_package_name = "vigil-setup";

/// When and why a release's rollout halted itself (see `halt_rule`).
struct release_halt {
  int64_t at = 0;           ///< when, Unix seconds
  uint64_t tried = 0;       ///< hosts that had tried the release then
  uint64_t rolled_back = 0; ///< of which rolled back

  friend bool operator==(const release_halt&, const release_halt&) = default;
};

/// One release: what was signed, the signed document agents verify, and
/// whether its rollout halted. Adding the same version again replaces the
/// record (a new serial, no halt): a new rollout.
struct release_record {
  release_metadata metadata;         ///< version, hash, size, serial, times, name
  std::string envelope;              ///< `sign_document(root key, metadata.to_json_text())`
  std::optional<release_halt> halted; ///< set once the rollout at this serial halted

  friend bool operator==(const release_record&, const release_record&) = default;
};

/// The record as stored: a JSON object with "metadata" (the signed text's
/// fields), "envelope" and, once halted, "halted".
nlohmann::json to_json(const release_record& record);

/// The record in `json`, checked: the envelope's payload must be the metadata.
/// Anything malformed is `ec::corruption` naming the field.
caf::expected<release_record> parse_release_record(const nlohmann::json& json);

/// DIR/releases/<version>: where a release's files live.
std::filesystem::path release_dir(const std::filesystem::path& data_dir,
                                  const std::string& version);

/// DIR/releases/<version>/vigil-setup: the package, byte for byte as added.
std::filesystem::path release_package_file(const std::filesystem::path& data_dir,
                                           const std::string& version);

/// DIR/releases/<version>/metadata.json: a copy of the signed metadata, for
/// administrators (the store's record is what the platform serves).
std::filesystem::path release_metadata_file(const std::filesystem::path& data_dir,
                                            const std::string& version);

/// DIR/releases/<version>/patch-from-<from>.zst: a binary patch that rebuilds
/// the expanded package of `version` from the expanded package of `from`.
std::filesystem::path release_patch_file(const std::filesystem::path& data_dir,
                                         const std::string& version, const std::string& from);

/// Binary patches made when a release is added (SPEC §12): from each of the
/// `from_count` highest earlier releases whose package is on disk, at zstd
/// `level` (0: none made). 19 makes the smallest patches and takes about a
/// minute each for Vigil's 35 MB expanded package; 9 takes seconds and makes
/// them about 60 % larger.
struct patch_options {
  int level = 0;
  size_t from_count = 3;
};

/// A vigil-setup file read for adding: its bytes and the version its payload's
/// VERSION names (canonical X.Y.Z).
struct release_package {
  std::string bytes;
  std::string version;
};

/// Reads `file` as a release package. A file that cannot be read, carries no
/// agent payload, or whose payload has no VERSION or one that is not X.Y.Z is
/// an error naming the file and which of these it is.
caf::expected<release_package> read_release_package(const std::filesystem::path& file);

/// Signs `package` as the next release and keeps it durably: the package and
/// the metadata copy written atomically under `release_dir`, then the record
/// and the new highest serial in one synced batch of the store. The serial is
/// one more than the highest ever issued (kept in the store, so serials only
/// grow, across versions and restarts); the metadata is issued at `now` and
/// expires `valid_s` seconds later.
/// The metadata also signs the expanded package's size and SHA-256 (what a
/// host rebuilds from a patch), and the patches of `patches` are written
/// beside the package before the record.
caf::expected<release_record> store_release(kv_store& store,
                                            const std::filesystem::path& data_dir,
                                            const release_package& package,
                                            const signing_key& key, int64_t now,
                                            int64_t valid_s, const patch_options& patches = {});

/// The versions a patch to `version` exists from, highest first.
std::vector<std::string> release_patches_of(const std::filesystem::path& data_dir,
                                            const std::string& version);

/// Every stored release by version.
caf::expected<std::map<std::string, release_record>> load_releases(kv_store& store);

/// Puts `record` (its version the key) into `batch`, for writers that change
/// it together with something else (a halt with the report that caused it).
void put_release(write_batch& batch, const release_record& record);

/// Writes into `data_dir` the files of `record`'s release kept in the store
/// (column::release_files) when the directory lacks them: what an instance
/// does with a release another instance added. The package is checked
/// against the signed metadata's SHA-256 before anything is written
/// (`ec::hash_mismatch` otherwise); the metadata file, which marks a
/// complete release directory, is written last. A release with no files in
/// the store (added before they were kept there) is left as it is.
caf::expected<void> materialize_release_files(kv_store& store,
                                              const std::filesystem::path& data_dir,
                                              const release_record& record);

/// `count` bytes of `version`'s package from byte `first` (fewer at its end).
/// A missing package is `ec::not_found`; a failed read `ec::io_error`.
caf::expected<std::string> read_package_bytes(const std::filesystem::path& data_dir,
                                              const std::string& version, uint64_t first,
                                              uint64_t count);

} // namespace vigil::platform
