#include "host/fatal_fault.hpp"

#include <chrono>
#include <cstdlib>
#include <exception>

namespace vigil::detail {

namespace {

/// Appends `text` to `out` at `*at`, within `capacity`.
void put(char* out, size_t capacity, size_t* at, std::string_view text) noexcept {
  for (char c : text)
    if (*at < capacity)
      out[(*at)++] = c;
}

/// Appends `value` in decimal, at least `width` digits.
void put_number(char* out, size_t capacity, size_t* at, unsigned long long value,
                int width = 1) noexcept {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && n < 24);
  while (n < width && n < 24)
    digits[n++] = '0';
  while (n > 0)
    put(out, capacity, at, {&digits[--n], 1});
}

} // namespace

void fault_text::put(std::string_view text) noexcept {
  detail::put(data, sizeof(data), &size, text);
}

void fault_text::put_hex(unsigned long long value) noexcept {
  put("0x");
  bool leading = true;
  for (int shift = 60; shift >= 0; shift -= 4) {
    auto digit = (value >> shift) & 15;
    if (leading && digit == 0 && shift != 0)
      continue;
    leading = false;
    put({&"0123456789abcdef"[digit], 1});
  }
}

size_t format_fault_line(char* out, size_t capacity, std::string_view what) noexcept {
  using namespace std::chrono;
  // The calendar by arithmetic (H. Hinnant's days-to-civil): gmtime is not
  // safe in a signal handler.
  auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  long long days = now / 86'400'000;
  long long ms_of_day = now % 86'400'000;
  long long z = days + 719'468;
  long long era = (z >= 0 ? z : z - 146'096) / 146'097;
  long long doe = z - era * 146'097;
  long long yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  long long day = doy - (153 * mp + 2) / 5 + 1;
  long long month = mp < 10 ? mp + 3 : mp - 9;
  long long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  size_t at = 0;
  put(out, capacity, &at, "[");
  put_number(out, capacity, &at, static_cast<unsigned long long>(year), 4);
  put(out, capacity, &at, "-");
  put_number(out, capacity, &at, static_cast<unsigned long long>(month), 2);
  put(out, capacity, &at, "-");
  put_number(out, capacity, &at, static_cast<unsigned long long>(day), 2);
  put(out, capacity, &at, " ");
  put_number(out, capacity, &at, static_cast<unsigned long long>(ms_of_day / 3'600'000), 2);
  put(out, capacity, &at, ":");
  put_number(out, capacity, &at, static_cast<unsigned long long>(ms_of_day / 60'000 % 60), 2);
  put(out, capacity, &at, ":");
  put_number(out, capacity, &at, static_cast<unsigned long long>(ms_of_day / 1000 % 60), 2);
  put(out, capacity, &at, ".");
  put_number(out, capacity, &at, static_cast<unsigned long long>(ms_of_day % 1000), 3);
  put(out, capacity, &at, "] [Agent] [critical] [");
  put_number(out, capacity, &at, fault_thread_number());
  put(out, capacity, &at, "] the agent ends: ");
  put(out, capacity, &at, what);
  if (at == capacity && capacity > 0)
    --at;
  put(out, capacity, &at, "\n");
  return at;
}

void terminate_with_report() noexcept {
  std::string_view what = "std::terminate called";
  // what() of the exception in flight, if it is a std::exception.
  if (auto current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& e) {
      fault_text what_failed;
      what_failed.put("an uncaught exception: ");
      what_failed.put(e.what());
      char line[512];
      write_fault_line(line, format_fault_line(line, sizeof(line), what_failed.view()));
      std::abort();
    } catch (...) {
      what = "an uncaught exception of an unknown type";
    }
  }
  char line[256];
  write_fault_line(line, format_fault_line(line, sizeof(line), what));
  std::abort();
}

} // namespace vigil::detail
