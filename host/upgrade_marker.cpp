#include "host/upgrade_marker.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "host/hive_store.hpp"

namespace vigil {

std::filesystem::path upgrade_marker_file(const paths& p) {
  return p.state_dir() / "upgrade.json";
}

std::filesystem::path patch_reference_file(const paths& p, std::string_view version) {
  return p.patch_dir() / "reference" / ("vigil-setup-" + std::string{version} + ".expanded.zst");
}

caf::expected<upgrade_marker> load_upgrade_marker(const paths& p) {
  auto file = upgrade_marker_file(p);
  auto text = read_whole_file(file);
  if (!text) {
    if (code_of(text.error()) == ec::not_found)
      return upgrade_marker{"none", {}, {}, {}, 0, 0, 0, 0, 0};
    return text.error();
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ec::parse_error, file.string() + ": not a JSON object");
  upgrade_marker m;
  try {
    m.state = j.value("state", "none");
    m.from = j.value("from", "");
    m.target = j.value("target", "");
    m.reason = j.value("reason", "");
    m.at = j.value("at", int64_t{0});
    m.started_at = j.value("started_at", int64_t{0});
    m.deadline = j.value("deadline", int64_t{0});
    m.serial = j.value("serial", uint64_t{0});
    m.watcher_pid = j.value("watcher_pid", 0);
  } catch (const nlohmann::json::exception& e) {
    return make_error(ec::parse_error, file.string() + ": " + e.what());
  }
  return m;
}

caf::expected<void> save_upgrade_marker(const paths& p, const upgrade_marker& m) {
  nlohmann::json j{{"state", m.state},   {"from", m.from},
                   {"target", m.target}, {"reason", m.reason},
                   {"at", m.at},         {"started_at", m.started_at},
                   {"deadline", m.deadline}, {"serial", m.serial},
                   {"watcher_pid", m.watcher_pid}};
  std::error_code ignored;
  std::filesystem::create_directories(p.state_dir(), ignored);
  return write_file_atomically(upgrade_marker_file(p), j.dump() + "\n", 0600);
}

} // namespace vigil
