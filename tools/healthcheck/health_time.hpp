#pragma once

#include <cstdint>
#include <string>

namespace vigil::health {

/// `unix_s` as "YYYY-MM-DD HH:MM:SS UTC" for people; "never" for 0.
std::string format_time(int64_t unix_s);

/// `unix_s` as ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" for the JSON report; "" for 0.
std::string iso_time(int64_t unix_s);

} // namespace vigil::health
