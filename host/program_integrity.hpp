#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/release_metadata.hpp"
#include "host/file_facts.hpp"
#include "host/paths.hpp"

// The installed program files and their reference copy (SPEC §13). Setup,
// right after it puts the files in place, keeps a copy of them with a list of
// their SHA-256, size and mode in a root-only directory of the program data,
// one per installed version (`<state>/pristine/<version>`); while
// self-protection is on, the agent compares the installed files with that list
// and restores any that changed from the copy. Keeping one copy per version
// means a rollback (the previous version's files put back) finds its own
// reference, and nothing has to be fetched from the network to repair.

namespace vigil {

/// One installed program file as setup laid it down.
struct program_file {
  std::string path;   ///< relative to `paths::program_files()`, '/'-separated
  std::string sha256; ///< of its content, 64 lowercase hex digits
  uint64_t size = 0;
  uint32_t mode = 0;  ///< permission bits (07777)

  friend bool operator==(const program_file&, const program_file&) = default;
};

/// What setup installed: the version and every regular file.
struct program_manifest {
  std::string version;
  std::vector<program_file> files;
};

/// The SHA-256 (64 lowercase hex digits) of `files` in one canonical form:
/// the JSON array of `[path, sha256, size, mode]` sorted by path. The
/// platform signs it for a release (`release_metadata::files_sha256`, from
/// the package's payload) and the agent computes it of the list setup kept,
/// so the two agree exactly when the reference copy is the one released.
std::string program_files_digest(std::vector<program_file> files);

/// Succeeds when `installed` (the list setup kept) is the list `meta` signed
/// for the same version. `ec::not_found` when there is nothing to compare
/// (metadata of another version, or without `files_sha256`);
/// `ec::hash_mismatch` naming both digests when the list was altered.
caf::expected<void> check_against_release(const program_manifest& installed,
                                          const release_metadata& meta);

/// Where the signed release metadata of the running version is kept, as the
/// platform last offered it: `<state>/release-metadata.json`. It is signed,
/// so a file is as safe a place as any; whoever reads it verifies it, and the
/// built-in supervisor can read it without opening the agent's store.
std::filesystem::path release_metadata_file(const paths& p);

/// Keeps `envelope` (signed release metadata) in `release_metadata_file`,
/// writing only when it differs from what is kept (the platform offers it with
/// every check-in).
caf::expected<void> keep_release_metadata(const paths& p, std::string_view envelope);

/// The kept metadata of `version`, verified with `keys`: nothing when none is
/// kept or it is another version's; `ec::signature_invalid` or
/// `ec::parse_error` when the file holds no signed metadata. Its expiry is
/// not checked: an old release's files are still the ones it released.
caf::expected<std::optional<release_metadata>>
kept_release_metadata(const paths& p, const trusted_keys& keys, std::string_view version);

/// Whether `installed`, the reference list setup kept, is the one the kept
/// release metadata signs: true when it is, false when there is nothing to
/// check it against (no keys pinned, no metadata kept for its version, or
/// metadata that signs no list), `ec::hash_mismatch` when it is not.
/// Metadata that fails verification counts as none (whoever could write it
/// could delete it as well) but is named in `unusable` when given.
caf::expected<bool> verify_reference_list(const paths& p, const program_manifest& installed,
                                          const trusted_keys* keys,
                                          std::string* unusable = nullptr);

/// The reference copy's directory for `version`: `<state>/pristine/<version>`.
std::filesystem::path pristine_dir(const paths& p, std::string_view version);

/// Copies every regular file under `p.program_files()` to
/// `pristine_dir(p, version)` (mode 0700, files 0600: the copy is never run)
/// with `files.json`, replacing an older copy of that version atomically, and
/// removes the copies of every version but `version` and `keep_also` (the one
/// a rollback may return to). Returns what it recorded.
caf::expected<program_manifest> keep_pristine_copy(const paths& p, std::string_view version,
                                                   std::string_view keep_also);

/// The list kept for `version`; `ec::not_found` when setup kept none (an
/// install older than self-protection), `ec::parse_error` when it is not one.
caf::expected<program_manifest> load_program_manifest(const paths& p, std::string_view version);

/// A program file that is not as setup installed it.
struct file_tamper {
  std::string path; ///< relative to `paths::program_files()`
  /// "deleted", "content changed", "mode changed", "owner changed" or
  /// "not a regular file" (replaced by a link, a directory ...).
  std::string what;

  friend bool operator==(const file_tamper&, const file_tamper&) = default;
};

/// Compares the installed program files with a manifest and restores them
/// from the reference copy. A file is hashed again only when its inode, size,
/// modification or change time moved since it was last found good, so a check
/// of unchanged files costs one stat each.
class program_file_checker {
public:
  program_file_checker(paths p, program_manifest manifest);

  /// Every file that differs from the manifest now.
  std::vector<file_tamper> check();

  /// Puts `file` back from the reference copy (verified against the
  /// manifest first: a reference copy that was altered too is
  /// `ec::hash_mismatch` and nothing is written) with its mode and root as
  /// owner, atomically (a temporary file renamed over the path).
  caf::expected<void> restore(const std::string& file);

  const program_manifest& manifest() const noexcept {
    return manifest_;
  }

private:
  paths paths_;
  program_manifest manifest_;
  std::map<std::string, file_facts> good_; ///< facts of files last found good
};

} // namespace vigil
