#pragma once

// The self-patch actor's pure parts (SPEC §12): where an offered release
// stands against what this host remembers, the package's range requests, and
// whether this build can upgrade itself. No CAF here, so each is tested
// alone. The staged package is held, hashed and handed over to through
// host/held_program.hpp.

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/release_metadata.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

/// What this host remembers across upgrades, in the store's `meta` column:
/// the highest metadata serial it accepted (no replay of older metadata), the
/// highest version ever installed (no downgrade), and the serial of each
/// version it rolled back (not tried again until newer metadata).
struct upgrade_memory {
  uint64_t highest_serial = 0;
  std::string highest_version; ///< "X.Y.Z"; empty: none recorded yet
};

/// The memory as stored; missing values read as none.
caf::expected<upgrade_memory> load_upgrade_memory(kv_store& store);

/// Records `serial` as seen and `version` as installed when they are higher
/// than what is stored (one synced batch).
caf::expected<void> remember_upgrade(kv_store& store, uint64_t serial, std::string_view version);

/// Records that `version`, from metadata with `serial`, was rolled back.
caf::expected<void> remember_rollback(kv_store& store, std::string_view version, uint64_t serial);

/// The serial of the metadata `version` was rolled back under, if it was.
caf::expected<std::optional<uint64_t>> rolled_back_serial(kv_store& store, std::string_view version);

/// The `Range` header value for the next piece of a package of `size` bytes
/// of which `have` are on disk: at most `chunk` bytes ("bytes=N-M").
std::string next_range(uint64_t have, uint64_t size, uint64_t chunk);

/// The total size a `Content-Range: bytes N-M/TOTAL` header names, or nothing
/// for another form.
std::optional<uint64_t> content_range_total(std::string_view header);

/// Free bytes on the file system holding `dir` (available to this process).
caf::expected<uint64_t> free_disk_bytes(const std::filesystem::path& dir);

/// Whether this build can upgrade itself: an error naming why not, which
/// the self-patch actor reports as its refusal of every offer (the upgrade
/// report and the health check show it) instead of downloading a package it
/// cannot install. POSIX: yes (vigil-setup PatchInstall=TRUE and the upgrade
/// watcher). Windows: not yet ("self-patching is not supported in the
/// Windows build yet"): there is no Windows vigil-setup to hand over to.
/// Defined per OS (posix/ and windows/selfpatch_support.cpp).
caf::expected<void> self_patching_available();

} // namespace vigil
