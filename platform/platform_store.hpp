#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/kv_store.hpp"
#include "storage/lock_space.hpp"

namespace vigil::platform {

/// The platform's column families, one per domain.
const std::vector<std::string>& platform_columns();

/// Names of the columns (keys described beside each).
namespace column {
inline constexpr const char* customers = "customers";     ///< customer id -> customer JSON
inline constexpr const char* activations = "activations"; ///< activation id -> activation JSON
inline constexpr const char* hosts = "hosts";             ///< host id -> host JSON
inline constexpr const char* checkins = "checkins";       ///< host id -> last check-in JSON
inline constexpr const char* profiles = "profiles";       ///< activation id -> profile JSON
/// module (Linux hosts) or module|family (another OS family, os_family.hpp)
/// -> manifest JSON
inline constexpr const char* manifests = "manifests";
inline constexpr const char* sequences = "sequences";     ///< host|module -> applied seq + rows
inline constexpr const char* uploads = "uploads";         ///< host|module|seq -> bytes received
inline constexpr const char* chunks = "chunks";           ///< host|module|seq|offset -> bytes
inline constexpr const char* rows = "rows";               ///< host|module|key -> value
inline constexpr const char* orders = "orders";           ///< host|order id -> order JSON
inline constexpr const char* duplicates = "duplicates";   ///< fingerprint|host id -> JSON
inline constexpr const char* releases = "releases";       ///< version -> release record JSON
inline constexpr const char* settings = "settings";       ///< name -> platform-wide value
inline constexpr const char* tamper = "tamper";           ///< host|seq -> tamper event JSON
/// version|file name|offset -> up to 1 MiB of a release's file (package,
/// metadata, patches): how instances sharing a store get the files another
/// one's `release add` wrote into its own data directory.
inline constexpr const char* release_files = "release_files";
} // namespace column

/// Keys of `column::settings`.
namespace setting {
/// The highest release metadata serial ever issued (decimal): serials only grow.
inline constexpr const char* release_serial = "release_serial";
/// Changes whenever an instance changes state others cache (a random value):
/// instances sharing a store compare it at each request.
inline constexpr const char* generation = "generation";
} // namespace setting

/// Key helpers: parts joined with '|' (GUIDs, module names and numbers never
/// contain it; a row key may, but it always comes last).
std::string join_key(std::initializer_list<std::string_view> parts);

/// A fixed-width decimal rendering of `n`, so keys sort numerically.
std::string padded(uint64_t n);

/// What the platform applied for one (host, module).
struct applied_state {
  uint64_t last_seq = 0; ///< 0: nothing applied yet
  uint64_t rows = 0;     ///< rows the platform holds for the module
};

/// Reads the applied state of `host|module` (zero when absent).
caf::expected<applied_state> read_applied(kv_store& store, const std::string& host,
                                          const std::string& module);

/// Encodes an applied state as a store value.
std::string encode_applied(const applied_state& state);

/// Opens the platform's RocksDB store under `data_dir/db`.
caf::expected<std::unique_ptr<kv_store>> open_platform_store(const std::string& data_dir);

/// `DIR/store.url`: the PostgreSQL database a data directory is served from
/// (written by `serve --store`, 0600: the URL may carry a password), so a
/// later `serve` without `--store` and the admin commands run while no
/// instance serves open the same store, never an empty RocksDB beside it.
std::filesystem::path store_url_file(const std::filesystem::path& data_dir);

/// A platform's store and, when instances share it, their locks.
struct platform_storage {
  std::unique_ptr<kv_store> store;
  std::shared_ptr<lock_space> instance_locks; ///< null: the store is this process's alone
};

/// Opens what `data_dir` is served from: the PostgreSQL database `url` names
/// (recorded in `store_url_file`), else the one recorded there, else
/// `data_dir`'s RocksDB. A `url` that is not `postgresql://` is
/// `ec::invalid_argument`.
caf::expected<platform_storage> open_platform_storage(const std::filesystem::path& data_dir,
                                                      const std::string& url = {});

} // namespace vigil::platform
