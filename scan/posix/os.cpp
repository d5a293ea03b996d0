// The `os` collector: os-release, the running kernel, boot time and, on
// request, uptime.
//
//   os/release  {"ID", "ID_LIKE", "NAME", "PRETTY_NAME", "VERSION_CODENAME", "VERSION_ID"}
//   os/kernel   {"arch", "release", "version"}      (uname of the running kernel)
//   os/boot     {"boot_time": <epoch seconds>}      (<root>/proc/stat btime, when present)
//   os/uptime   {"seconds": N}                      (only with "uptime": true)
//
// Uptime changes every second, so it would put a changed row in every delta;
// boot time carries the same fact and stays stable until the next boot.

#include <sys/utsname.h>

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

constexpr size_t small_file_cap = 64 * 1024;

/// A shell-style os-release value without its quotes and escapes.
std::string unquote(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')
      && value.back() == value.front()) {
    bool double_quoted = value.front() == '"';
    value = value.substr(1, value.size() - 2);
    if (!double_quoted)
      return std::string{value};
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\\' && i + 1 < value.size())
        ++i;
      out += value[i];
    }
    return out;
  }
  return std::string{value};
}

void collect_release(const collector_call& call) {
  auto text = call.fs.read_file("/etc/os-release", small_file_cap);
  if (!text && code_of(text.error()) == ec::not_found)
    text = call.fs.read_file("/usr/lib/os-release", small_file_cap);
  if (!text) {
    call.add_error("os/release", text.error());
    return;
  }
  static constexpr std::string_view wanted[] = {"ID",          "ID_LIKE",          "NAME",
                                                "PRETTY_NAME", "VERSION_CODENAME", "VERSION_ID"};
  auto value = nlohmann::json::object();
  for (auto line : lines_of(*text)) {
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      continue;
    auto name = line.substr(0, eq);
    for (auto w : wanted)
      if (name == w)
        value[std::string{name}] = unquote(trim(line.substr(eq + 1)));
  }
  call.add("os/release", value);
}

/// The first whitespace-separated number after `prefix` at the start of a
/// line of `text`.
std::optional<uint64_t> number_after(std::string_view text, std::string_view prefix) {
  for (auto line : lines_of(text)) {
    if (line.substr(0, prefix.size()) != prefix)
      continue;
    auto rest = trim(line.substr(prefix.size()));
    uint64_t n = 0;
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9')
      n = n * 10 + static_cast<uint64_t>(rest[digits++] - '0');
    if (digits > 0)
      return n;
  }
  return std::nullopt;
}

} // namespace

caf::expected<void> collect_os(const collector_call& call) {
  auto uptime = spec_bool(call.spec, "uptime", false);
  if (!uptime)
    return uptime.error();
  collect_release(call);
  utsname u{};
  if (::uname(&u) == 0)
    call.add("os/kernel", {{"arch", u.machine}, {"release", u.release}, {"version", u.version}});
  else
    call.add_error("os/kernel", make_system_error(errno, "uname"));
  if (auto stat = call.fs.read_file("/proc/stat", 1024 * 1024)) {
    if (auto btime = number_after(*stat, "btime "))
      call.add("os/boot", {{"boot_time", *btime}});
  }
  if (*uptime) {
    auto text = call.fs.read_file("/proc/uptime", small_file_cap);
    if (!text)
      call.add_error("os/uptime", text.error());
    else if (auto seconds = number_after(*text, ""))
      call.add("os/uptime", {{"seconds", *seconds}});
    else
      call.add_error("os/uptime", make_error(ec::parse_error, "/proc/uptime: no number"));
  }
  return {};
}

} // namespace vigil::scan::detail
