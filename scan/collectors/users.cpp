// The `users` collector: local accounts and groups.
//
//   users/<name>   {"uid", "gid", "group"?: primary group name, "groups": [supplementary],
//                   "gecos", "home", "shell",
//                   "password": "has-password"|"locked"|"no-password"|"unknown"}
//   groups/<name>  {"gid", "members": [sorted names]}
//   error/users/<file>:<line>  {"error"}  a malformed passwd or group line
//   error/users/<file>         {"error"}  passwd or group cannot be read
//
// /etc/shadow is read only to learn whether each account has a password, is
// locked or has none; its buffer is wiped after parsing and no hash ever
// reaches a row. "unknown": the account defers to shadow ('x') and shadow
// cannot be read or lacks it.

#include <map>
#include <set>
#include <string.h>

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

constexpr size_t account_file_cap = 16 * 1024 * 1024;

/// Password states from /etc/shadow; empty when it cannot be read.
std::map<std::string, std::string> shadow_states(const root_fs& fs) {
  auto text = fs.read_file("/etc/shadow", account_file_cap);
  if (!text)
    return {};
  auto states = parse_shadow_states(*text);
  ::explicit_bzero(text->data(), text->size());
  return states;
}

void add_problems(const collector_call& call, std::string_view file,
                  const std::vector<account_problem>& problems) {
  for (const auto& p : problems)
    call.add_error("error/users/" + std::string{file} + ":" + std::to_string(p.line),
                   make_error(ec::parse_error, "/etc/" + std::string{file} + ": " + p.message));
}

} // namespace

caf::expected<void> collect_users(const collector_call& call) {
  auto passwd_text = call.fs.read_file("/etc/passwd", account_file_cap);
  if (!passwd_text)
    call.add_error("error/users/passwd", passwd_text.error());
  auto group_text = call.fs.read_file("/etc/group", account_file_cap);
  if (!group_text)
    call.add_error("error/users/group", group_text.error());
  auto groups = group_text ? parse_group(*group_text) : group_file{};
  add_problems(call, "group", groups.problems);
  std::map<uint32_t, std::string> group_names;
  std::map<std::string, std::set<std::string>> memberships; // user -> groups
  for (const auto& g : groups.entries) {
    group_names.emplace(g.gid, g.name);
    std::set<std::string> members{g.members.begin(), g.members.end()};
    for (const auto& m : members)
      memberships[m].insert(g.name);
    call.add("groups/" + g.name, {{"gid", g.gid}, {"members", members}});
  }
  if (!passwd_text)
    return {};
  auto users = parse_passwd(*passwd_text);
  add_problems(call, "passwd", users.problems);
  auto shadow = shadow_states(call.fs);
  for (const auto& u : users.entries) {
    auto password = u.password;
    if (password == "shadow") {
      auto it = shadow.find(u.name);
      password = it == shadow.end() ? "unknown" : it->second;
    }
    nlohmann::json value{{"uid", u.uid},     {"gid", u.gid},     {"gecos", u.gecos},
                         {"home", u.home},   {"shell", u.shell}, {"password", password},
                         {"groups", memberships[u.name]}};
    if (auto it = group_names.find(u.gid); it != group_names.end())
      value["group"] = it->second;
    call.add("users/" + u.name, value);
  }
  return {};
}

} // namespace vigil::scan::detail
