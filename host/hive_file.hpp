#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <filesystem>
#include <functional>

#include "host/atomic_file.hpp"
#include "host/hive.hpp"
#include "host/hive_store.hpp"

namespace vigil {

/// The hive on disk (SPEC §2): one `.reg` file, 0600 in a 0700 directory (it
/// holds the identity). Readers never see a torn file because writers replace
/// it atomically (`write_file_atomically`); writers serialize on an advisory
/// lock (`flock` on a sibling `.lock` file, since the hive's own inode changes
/// at every write), so concurrent read-modify-write cycles never lose an
/// update.
class hive_file : public hive_store {
public:
  /// The hive stored at `file`. Nothing is touched until a member is called.
  explicit hive_file(std::filesystem::path file,
                     std::chrono::milliseconds lock_timeout = std::chrono::seconds{30});

  /// The hive as stored now. A missing file is an empty hive; a malformed one
  /// is an `ec::parse_error` naming the file and line.
  caf::expected<hive> load() const override;

  /// Takes the lock, reads the current hive, applies `fn` and, when the result
  /// differs, writes it atomically. A malformed file is reported and left
  /// byte-identical; so is the file when `fn` fails. Returns the hive as
  /// written (or as found, when unchanged).
  caf::expected<hive> update(const change& fn) override;

  /// The file's path.
  std::string location() const override { return file_.string(); }
  /// Removes the file and its lock file.
  caf::expected<void> erase() override;
  /// The file and its lock file.
  std::vector<std::filesystem::path> files() const override;

  const std::filesystem::path& path() const noexcept { return file_; }

private:
  std::filesystem::path file_;
  std::chrono::milliseconds lock_timeout_;
};

} // namespace vigil
