#include "scan/accounts.hpp"

#include <charconv>

namespace vigil::scan {

namespace {

/// Calls `fn(line, number)` for every line of `text` (without '\n' and '\r').
template <class F>
void for_each_line(std::string_view text, F&& fn) {
  size_t number = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    fn(line, number);
  }
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto pos = text.find(sep);
    out.push_back(text.substr(0, pos));
    if (pos == std::string_view::npos)
      return out;
    text.remove_prefix(pos + 1);
  }
}

bool parse_id(std::string_view text, uint32_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

/// Whether a line carries no account: blank, a comment or a NIS inclusion.
bool skipped(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos || line.front() == '#'
         || line.front() == '+' || line.front() == '-';
}

} // namespace

std::string_view password_state(std::string_view field) noexcept {
  if (field.empty())
    return "no-password";
  if (field.front() == '!' || field.front() == '*')
    return "locked";
  return "has-password";
}

passwd_file parse_passwd(std::string_view text) {
  passwd_file out;
  for_each_line(text, [&](std::string_view line, size_t number) {
    if (skipped(line))
      return;
    auto f = split(line, ':');
    passwd_entry e;
    if (f.size() != 7 || f[0].empty() || !parse_id(f[2], e.uid) || !parse_id(f[3], e.gid)) {
      out.problems.push_back({number, "line " + std::to_string(number)
                                        + ": expected name:password:uid:gid:gecos:home:shell"});
      return;
    }
    e.name = f[0];
    e.password = f[1] == "x" ? std::string{"shadow"} : std::string{password_state(f[1])};
    e.gecos = f[4];
    e.home = f[5];
    e.shell = f[6];
    e.line = number;
    out.entries.push_back(std::move(e));
  });
  return out;
}

group_file parse_group(std::string_view text) {
  group_file out;
  for_each_line(text, [&](std::string_view line, size_t number) {
    if (skipped(line))
      return;
    auto f = split(line, ':');
    group_entry e;
    if (f.size() != 4 || f[0].empty() || !parse_id(f[2], e.gid)) {
      out.problems.push_back(
        {number, "line " + std::to_string(number) + ": expected name:password:gid:members"});
      return;
    }
    e.name = f[0];
    if (!f[3].empty())
      for (auto member : split(f[3], ','))
        if (!member.empty())
          e.members.emplace_back(member);
    e.line = number;
    out.entries.push_back(std::move(e));
  });
  return out;
}

std::map<std::string, std::string> parse_shadow_states(std::string_view text) {
  std::map<std::string, std::string> out;
  for_each_line(text, [&](std::string_view line, size_t) {
    if (skipped(line))
      return;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return;
    auto rest = line.substr(colon + 1);
    auto field = rest.substr(0, rest.find(':'));
    out[std::string{line.substr(0, colon)}] = password_state(field);
  });
  return out;
}

} // namespace vigil::scan
