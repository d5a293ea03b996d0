// Time zones from the system tz database (/usr/share/zoneinfo) through
// Howard Hinnant's date/tz (libdate-tz): the only file that includes it.
#include "actors/time_zone.hpp"

#include <cstdlib>
#include <optional>
#include <string>

#include <date/tz.h>

#include "actors/blackout_logic.hpp"
#include "common/error.hpp"

namespace vigil {

namespace {

/// A zone of the tz database; date/tz keeps every zone it loaded for the
/// life of the process, so the pointer stays valid.
class tzdb_zone final : public time_zone_rules {
public:
  explicit tzdb_zone(const date::time_zone* zone) : zone_{zone} {
  }

  zone_sys_seconds to_sys(zone_local_seconds local) const override {
    auto as_date = date::local_seconds{local.time_since_epoch()};
    auto as_utc = zone_sys_seconds{local.time_since_epoch()};
    auto info = zone_->get_info(as_date);
    switch (info.result) {
      case date::local_info::nonexistent:
        return zone_sys_seconds{info.second.begin.time_since_epoch()};
      case date::local_info::unique:
      case date::local_info::ambiguous:
      default:
        return as_utc - info.first.offset;
    }
  }

  zone_local_seconds to_local(zone_sys_seconds instant) const override {
    auto local = zone_->to_local(date::sys_seconds{instant.time_since_epoch()});
    return zone_local_seconds{local.time_since_epoch()};
  }

private:
  const date::time_zone* zone_;
};

} // namespace

caf::expected<std::shared_ptr<const time_zone_rules>> find_time_zone(std::string_view name) {
  try {
    return std::shared_ptr<const time_zone_rules>{
      std::make_shared<tzdb_zone>(date::locate_zone(name))};
  } catch (const std::exception&) {
    // Not in the database, or no database at all.
    return make_error(ec::not_found, "unknown to the tz database: \"" + std::string{name} + "\"");
  }
}

std::string host_time_zone() {
  const char* tz = std::getenv("TZ");
  return host_time_zone(tz ? std::optional<std::string_view>{tz} : std::nullopt, "/etc");
}

} // namespace vigil
