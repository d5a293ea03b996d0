#include "tools/healthcheck/health_time.hpp"

#include <ctime>

namespace vigil::health {

namespace {

std::string utc(int64_t unix_s, const char* format) {
  auto t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buffer[64];
  auto n = std::strftime(buffer, sizeof buffer, format, &tm);
  return std::string{buffer, n};
}

} // namespace

std::string format_time(int64_t unix_s) {
  return unix_s == 0 ? std::string{"never"} : utc(unix_s, "%Y-%m-%d %H:%M:%S UTC");
}

std::string iso_time(int64_t unix_s) {
  return unix_s == 0 ? std::string{} : utc(unix_s, "%Y-%m-%dT%H:%M:%SZ");
}

} // namespace vigil::health
