// The `users` collector on Windows: the local accounts and local groups of
// the security accounts manager, through the NetUser and NetLocalGroup calls.
//
//   users/<name>   {"privilege": "guest"|"user"|"admin", "disabled", "locked",
//                   "password_required", "password_expires", "groups": [sorted
//                   local groups], "home"?, "comment"?}
//   groups/<name>  {"members": [sorted "DOMAIN\name"]}
//   error/users/accounts  {"error"}  the accounts cannot be listed
//   error/users/groups    {"error"}  the local groups cannot be listed
//   users/<name>   with "error" instead of the details, when an account
//                  listed cannot be read
//
// The key shapes are the Linux collector's (collectors/users.cpp). The
// account list comes from NetUserEnum level 0 and each account's details
// from NetUserGetInfo level 1, which every Windows (and Wine) answers, where
// NetUserEnum's own detailed levels are not everywhere. Password ages and
// last logons are left out: they change without the account changing.

#include <windows.h>
#include <lm.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/error.hpp"
#include "host/windows/wide.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

/// A NetApi buffer, freed on destruction.
struct net_buffer {
  BYTE* data = nullptr;
  ~net_buffer() {
    if (data != nullptr)
      ::NetApiBufferFree(data);
  }
};

caf::error net_error(NET_API_STATUS status, std::string_view what) {
  return win::error_from(status, what);
}

std::string_view privilege_name(DWORD priv) noexcept {
  switch (priv) {
    case USER_PRIV_GUEST: return "guest";
    case USER_PRIV_USER: return "user";
    case USER_PRIV_ADMIN: return "admin";
    default: return "unknown";
  }
}

/// Every name a NetXxxEnum-style call lists: `call(buffer, entries read,
/// resume handle)` returns NERR_Success or ERROR_MORE_DATA. `Entry` is a
/// level-0 entry, whose one member is the name.
template <class Entry, class Call>
caf::expected<std::vector<std::wstring>> list_names(Call&& call, std::string_view what) {
  static_assert(sizeof(Entry) == sizeof(LPWSTR), "a level-0 entry is one name");
  std::vector<std::wstring> names;
  DWORD_PTR resume = 0;
  for (;;) {
    net_buffer buffer;
    DWORD read = 0;
    auto status = call(&buffer.data, &read, &resume);
    if (status != NERR_Success && status != ERROR_MORE_DATA)
      return net_error(status, what);
    const auto* entries = reinterpret_cast<const Entry*>(buffer.data);
    for (DWORD i = 0; entries != nullptr && i < read; ++i)
      if (const wchar_t* name = *reinterpret_cast<const LPWSTR*>(&entries[i]))
        names.emplace_back(name);
    if (status == NERR_Success || read == 0)
      break;
  }
  return names;
}

/// The local groups of `user`; empty when the system cannot say.
std::set<std::string> local_groups_of(const std::wstring& user) {
  std::set<std::string> groups;
  net_buffer buffer;
  DWORD read = 0;
  DWORD total = 0;
  auto status = ::NetUserGetLocalGroups(nullptr, user.c_str(), 0, 0, &buffer.data,
                                        MAX_PREFERRED_LENGTH, &read, &total);
  if (status != NERR_Success || buffer.data == nullptr)
    return groups;
  const auto* entries = reinterpret_cast<const LOCALGROUP_USERS_INFO_0*>(buffer.data);
  for (DWORD i = 0; i < read; ++i)
    if (entries[i].lgrui0_name != nullptr)
      groups.insert(win::narrow(entries[i].lgrui0_name));
  return groups;
}

void collect_accounts(const collector_call& call) {
  auto names = list_names<USER_INFO_0>(
    [](BYTE** buffer, DWORD* read, DWORD_PTR* resume) {
      DWORD total = 0;
      DWORD handle = static_cast<DWORD>(*resume);
      auto status = ::NetUserEnum(nullptr, 0, FILTER_NORMAL_ACCOUNT, buffer, MAX_PREFERRED_LENGTH,
                                  read, &total, &handle);
      *resume = handle;
      return status;
    },
    "NetUserEnum");
  if (!names) {
    call.add_error("error/users/accounts", names.error());
    return;
  }
  for (const auto& name : *names) {
    auto key = "users/" + win::narrow(name);
    net_buffer buffer;
    auto status = ::NetUserGetInfo(nullptr, name.c_str(), 1, &buffer.data);
    if (status != NERR_Success || buffer.data == nullptr) {
      call.add_error(key, net_error(status, "NetUserGetInfo " + win::narrow(name)));
      continue;
    }
    const auto& info = *reinterpret_cast<const USER_INFO_1*>(buffer.data);
    auto flags = info.usri1_flags;
    nlohmann::json value{{"privilege", privilege_name(info.usri1_priv)},
                         {"disabled", (flags & UF_ACCOUNTDISABLE) != 0},
                         {"locked", (flags & UF_LOCKOUT) != 0},
                         {"password_required", (flags & UF_PASSWD_NOTREQD) == 0},
                         {"password_expires", (flags & UF_DONT_EXPIRE_PASSWD) == 0},
                         {"groups", local_groups_of(name)}};
    if (info.usri1_home_dir != nullptr && info.usri1_home_dir[0] != L'\0')
      value["home"] = win::narrow(info.usri1_home_dir);
    if (info.usri1_comment != nullptr && info.usri1_comment[0] != L'\0')
      value["comment"] = win::narrow(info.usri1_comment);
    call.add(std::move(key), value);
    call.pace();
  }
}

/// The members of local group `group` as "DOMAIN\name"; an error when the
/// system cannot list them.
caf::expected<std::set<std::string>> members_of(const std::wstring& group) {
  std::set<std::string> members;
  DWORD_PTR resume = 0;
  for (;;) {
    net_buffer buffer;
    DWORD read = 0;
    DWORD total = 0;
    auto status = ::NetLocalGroupGetMembers(nullptr, group.c_str(), 3, &buffer.data,
                                            MAX_PREFERRED_LENGTH, &read, &total, &resume);
    if (status != NERR_Success && status != ERROR_MORE_DATA)
      return net_error(status, "NetLocalGroupGetMembers " + win::narrow(group));
    const auto* entries = reinterpret_cast<const LOCALGROUP_MEMBERS_INFO_3*>(buffer.data);
    for (DWORD i = 0; entries != nullptr && i < read; ++i)
      if (entries[i].lgrmi3_domainandname != nullptr)
        members.insert(win::narrow(entries[i].lgrmi3_domainandname));
    if (status == NERR_Success || read == 0)
      break;
  }
  return members;
}

void collect_groups(const collector_call& call) {
  auto names = list_names<LOCALGROUP_INFO_0>(
    [](BYTE** buffer, DWORD* read, DWORD_PTR* resume) {
      DWORD total = 0;
      return ::NetLocalGroupEnum(nullptr, 0, buffer, MAX_PREFERRED_LENGTH, read, &total, resume);
    },
    "NetLocalGroupEnum");
  if (!names) {
    call.add_error("error/users/groups", names.error());
    return;
  }
  for (const auto& name : *names) {
    auto key = "groups/" + win::narrow(name);
    auto members = members_of(name);
    if (!members)
      call.add_error(std::move(key), members.error());
    else
      call.add(std::move(key), {{"members", *members}});
    call.pace();
  }
}

} // namespace

caf::expected<void> collect_users(const collector_call& call) {
  collect_accounts(call);
  collect_groups(call);
  return {};
}

} // namespace vigil::scan::detail
