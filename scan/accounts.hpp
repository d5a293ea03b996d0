#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::scan {

/// One line of /etc/passwd. The password field is never kept: only what it
/// says about the account (`password_state`).
struct passwd_entry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string gecos;
  std::string home;
  std::string shell;
  std::string password; ///< a `password_state` word, or "shadow" for 'x'
  size_t line = 0;
};

/// One line of /etc/group.
struct group_entry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members; ///< in file order
  size_t line = 0;
};

/// A line that could not be parsed (1-based) and why.
struct account_problem {
  size_t line = 0;
  std::string message;
};

/// The records of a passwd file and its bad lines.
struct passwd_file {
  std::vector<passwd_entry> entries;
  std::vector<account_problem> problems;
};

/// The records of a group file and its bad lines.
struct group_file {
  std::vector<group_entry> entries;
  std::vector<account_problem> problems;
};

/// What a password field (of shadow, or of passwd when it holds no 'x') says,
/// without repeating it: "no-password" (empty: login without a password),
/// "locked" ('*', '!' or a hash prefixed by '!') or "has-password".
std::string_view password_state(std::string_view field) noexcept;

/// Parses /etc/passwd: seven ':'-separated fields, numeric uid and gid. Blank
/// lines and NIS '+'/'-' lines are skipped; anything else malformed is a problem.
passwd_file parse_passwd(std::string_view text);

/// Parses /etc/group: four ':'-separated fields, numeric gid, members
/// separated by ','.
group_file parse_group(std::string_view text);

/// The `password_state` of every account of /etc/shadow's text, by name. Only
/// the derived words leave this function: no hash is copied anywhere.
std::map<std::string, std::string> parse_shadow_states(std::string_view text);

/// uid -> user name and gid -> group name, for rows that name owners.
struct owner_names {
  std::map<uint32_t, std::string> users;
  std::map<uint32_t, std::string> groups;
};

} // namespace vigil::scan
