#pragma once

// Reading what the platform holds for the end-of-run verification, the way
// `vigil-platform rows --data-dir DIR --host {G} --module NAME` does: through
// the running server's admin socket (DIR/admin.sock), or, when no server
// runs, from its store opened by this process.

#include <caf/expected.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "tools/fleet/fleet_verify.hpp"

namespace vigil::fleet {

/// The rows a platform holds, per host and module. Safe to call from several
/// threads at once.
class platform_rows {
public:
  /// A reader of the platform whose data directory is `data_dir`: its admin
  /// socket when the server runs, else its store (which this process then
  /// holds open: no server may start meanwhile). Fails when neither answers.
  static caf::expected<std::unique_ptr<platform_rows>> open(const std::filesystem::path& data_dir);

  virtual ~platform_rows() = default;

  /// The rows of `host`'s `module` (none: an empty map).
  virtual caf::expected<held_rows> rows(const std::string& host, const std::string& module) = 0;

  /// "the running platform's admin socket" or "the stopped platform's store".
  virtual std::string source() const = 0;
};

} // namespace vigil::fleet
