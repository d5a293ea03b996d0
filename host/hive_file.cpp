#include "host/hive_file.hpp"


#include "common/error.hpp"
#include "host/file_lock.hpp"
#include "host/reg_format.hpp"

namespace fs = std::filesystem;

namespace vigil {

hive_file::hive_file(fs::path file, std::chrono::milliseconds lock_timeout)
  : file_{std::move(file)}, lock_timeout_{lock_timeout} {
}

caf::expected<hive> hive_file::load() const {
  auto bytes = read_whole_file(file_);
  if (!bytes) {
    if (code_of(bytes.error()) == ec::not_found)
      return hive{};
    return bytes.error();
  }
  return parse_hive(*bytes, file_.string());
}

caf::expected<hive> hive_file::update(const change& fn) {
  // The hive (CustomerId, ActivationId: enough to provision a rogue host) and
  // its directory are the administrator's alone (issue 15, defect 5).
  auto dir = file_.has_parent_path() ? file_.parent_path() : fs::path{"."};
  if (auto made = make_directories(dir, 0700); !made)
    return made.error();
  auto lock = lock_sibling(file_, lock_timeout_);
  if (!lock)
    return lock.error();
  auto current = load();
  if (!current)
    return current.error();
  auto before = render_hive(*current);
  if (auto changed = fn(*current); !changed)
    return changed.error();
  auto after = render_hive(*current);
  if (after != before) {
    if (auto written = write_file_atomically(file_, after, 0600); !written)
      return written.error();
  }
  return current;
}

caf::expected<void> hive_file::erase() {
  std::error_code missing;
  if (!fs::exists(file_.has_parent_path() ? file_.parent_path() : fs::path{"."}, missing))
    return {}; // nothing stored, nor its directory
  {
    // A writer holding the lock finishes first; one that comes after finds
    // no hive and starts an empty one, as after any removal.
    auto lock = lock_sibling(file_, lock_timeout_);
    if (!lock)
      return lock.error();
    std::error_code err;
    fs::remove(file_, err);
    if (err)
      return make_system_error(err.value(), "remove " + file_.string());
  }
  std::error_code err;
  fs::remove(files().back(), err);
  if (err)
    return make_system_error(err.value(), "remove " + files().back().string());
  return {};
}

std::vector<fs::path> hive_file::files() const {
  return {file_, fs::path{file_.string() + ".lock"}};
}

} // namespace vigil
