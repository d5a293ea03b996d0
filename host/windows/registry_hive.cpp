// The hive in the Windows registry (registry_hive.hpp).
#include "host/registry_hive.hpp"

#include <windows.h>

#include "common/error.hpp"
#include "host/hive_diff.hpp"
#include "host/text_encoding.hpp"
#include "host/windows/registry_codec.hpp"
#include "host/windows/named_mutex.hpp"
#include "host/windows/wide.hpp"

namespace vigil {

namespace {

/// Every key is opened in the 64-bit view: a 32-bit process would otherwise
/// be redirected to SOFTWARE\WOW6432Node.
constexpr REGSAM view = KEY_WOW64_64KEY;

HKEY root_of(const registry_mount& mount) {
  return mount.root == registry_mount::root_key::local_machine ? HKEY_LOCAL_MACHINE
                                                               : HKEY_CURRENT_USER;
}

/// An open registry key, closed on destruction.
struct unique_key {
  HKEY h = nullptr;
  unique_key() = default;
  unique_key(const unique_key&) = delete;
  unique_key& operator=(const unique_key&) = delete;
  ~unique_key() {
    if (h)
      ::RegCloseKey(h);
  }
};

/// The registry subkey (under the mount's root) of a hive path, which must
/// be `agent_key` or under it; nothing otherwise.
std::optional<std::string> subkey_of(const registry_mount& mount, std::string_view path) {
  if (path.size() < agent_key.size() || !iequals(path.substr(0, agent_key.size()), agent_key))
    return std::nullopt;
  auto rest = path.substr(agent_key.size());
  if (!rest.empty() && rest.front() != '\\')
    return std::nullopt;
  return mount.subkey + std::string{rest};
}

/// Whether `path` is a parent of `agent_key` (`HKEY_LOCAL_MACHINE\SOFTWARE`):
/// the hive holds those as soon as it holds `agent_key` (hive::ensure_key),
/// with no values; they stand for nothing in the mount.
bool is_agent_ancestor(std::string_view path) {
  return path.size() < agent_key.size() && iequals(agent_key.substr(0, path.size()), path)
         && agent_key[path.size()] == '\\';
}

/// Reads the key `h` (hive path `path`) with its values, then its subkeys.
caf::expected<void> read_tree(HKEY h, const std::string& path, hive& out) {
  auto& key = out.ensure_key(path);
  DWORD subkeys = 0, max_subkey = 0, values = 0, max_name = 0, max_data = 0;
  auto rc = ::RegQueryInfoKeyW(h, nullptr, nullptr, nullptr, &subkeys, &max_subkey, nullptr,
                               &values, &max_name, &max_data, nullptr, nullptr);
  if (rc != ERROR_SUCCESS)
    return win::error_from(rc, "RegQueryInfoKey " + path);
  std::wstring name;
  std::string data;
  for (DWORD i = 0;; ++i) {
    // Sizes may grow meanwhile (another writer): ERROR_MORE_DATA retries larger.
    DWORD name_size = 0, data_size = 0, type = 0;
    for (;;) {
      name.resize(max_name + 1);
      data.resize(max_data);
      name_size = max_name + 1;
      data_size = max_data;
      rc = ::RegEnumValueW(h, i, name.data(), &name_size, nullptr, &type,
                           reinterpret_cast<BYTE*>(data.data()), &data_size);
      if (rc != ERROR_MORE_DATA)
        break;
      max_name = std::max<DWORD>(max_name * 2, 256);
      max_data = std::max<DWORD>(max_data * 2, data_size);
    }
    if (rc == ERROR_NO_MORE_ITEMS)
      break;
    if (rc != ERROR_SUCCESS)
      return win::error_from(rc, "RegEnumValue " + path);
    auto value_name = win::narrow({name.data(), name_size});
    auto value = win::decode_value(value_name, type, {data.data(), data_size},
                                   path + " value '" + value_name + "'");
    if (!value)
      return value.error();
    key.values.push_back(std::move(*value));
  }
  for (DWORD i = 0;; ++i) {
    name.resize(max_subkey + 1);
    DWORD name_size = max_subkey + 1;
    rc = ::RegEnumKeyExW(h, i, name.data(), &name_size, nullptr, nullptr, nullptr, nullptr);
    if (rc == ERROR_MORE_DATA) {
      max_subkey = 256; // key names are at most 255 characters
      --i;
      continue;
    }
    if (rc == ERROR_NO_MORE_ITEMS)
      break;
    if (rc != ERROR_SUCCESS)
      return win::error_from(rc, "RegEnumKeyEx " + path);
    auto child_name = win::narrow({name.data(), name_size});
    auto child_path = path + "\\" + child_name;
    unique_key child;
    rc = ::RegOpenKeyExW(h, name.c_str(), 0, KEY_READ | view, &child.h);
    if (rc == ERROR_FILE_NOT_FOUND)
      continue; // removed meanwhile
    if (rc != ERROR_SUCCESS)
      return win::error_from(rc, "RegOpenKeyEx " + child_path);
    if (auto ok = read_tree(child.h, child_path, out); !ok)
      return ok;
  }
  return {};
}

/// Opens (creating when missing) the key of hive path `path`.
caf::expected<void> create_key(const registry_mount& mount, const std::string& path,
                               unique_key& key) {
  auto subkey = subkey_of(mount, path);
  auto rc = ::RegCreateKeyExW(root_of(mount), win::widen(*subkey).c_str(), 0, nullptr,
                              REG_OPTION_NON_VOLATILE, KEY_SET_VALUE | view, nullptr, &key.h,
                              nullptr);
  if (rc != ERROR_SUCCESS)
    return win::error_from(rc, "RegCreateKeyEx " + path);
  return {};
}

caf::expected<void> remove_key(const registry_mount& mount, const std::string& path) {
  auto subkey = win::widen(*subkey_of(mount, path));
  unique_key key;
  auto rc = ::RegOpenKeyExW(root_of(mount), subkey.c_str(), 0, KEY_ALL_ACCESS | view, &key.h);
  if (rc == ERROR_FILE_NOT_FOUND)
    return {}; // a parent's removal took it already
  if (rc != ERROR_SUCCESS)
    return win::error_from(rc, "open " + path + " to delete it");
  rc = ::RegDeleteTreeW(key.h, nullptr); // its subkeys and values
  if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
    return win::error_from(rc, "RegDeleteTree " + path);
  rc = ::RegDeleteKeyExW(root_of(mount), subkey.c_str(), view, 0);
  if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
    return win::error_from(rc, "RegDeleteKeyEx " + path);
  return {};
}

/// Writes to the registry what `changes` (from `diff(before, after)`) say.
caf::expected<void> apply(const registry_mount& mount, const std::vector<hive_change>& changes,
                          const hive& after) {
  using kind = hive_change::kind;
  for (auto& change : changes) {
    if (is_agent_ancestor(change.key)) {
      // Removing a parent of agent_key removes the whole tree; adding one is
      // nothing, and values cannot be there (update checked).
      if (change.what == kind::key_removed)
        if (auto ok = remove_key(mount, std::string{agent_key}); !ok)
          return ok;
      continue;
    }
    if (change.what == kind::key_removed) {
      if (auto ok = remove_key(mount, change.key); !ok)
        return ok;
      continue;
    }
    unique_key key;
    if (auto ok = create_key(mount, change.key, key); !ok)
      return ok;
    auto name = win::widen(change.value_name);
    if (change.what == kind::value_set) {
      auto* value = after.get(change.key, change.value_name);
      auto bytes = win::encode_value(*value);
      auto rc = ::RegSetValueExW(key.h, name.c_str(), 0, static_cast<DWORD>(value->type),
                                 reinterpret_cast<const BYTE*>(bytes.data()),
                                 static_cast<DWORD>(bytes.size()));
      if (rc != ERROR_SUCCESS)
        return win::error_from(rc, "set " + change.key + " value '" + change.value_name + "'");
    } else if (change.what == kind::value_removed) {
      auto rc = ::RegDeleteValueW(key.h, name.c_str());
      if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
        return win::error_from(rc,
                               "delete " + change.key + " value '" + change.value_name + "'");
    }
  }
  return {};
}

} // namespace

std::string registry_mount::display() const {
  return (root == root_key::local_machine ? "HKEY_LOCAL_MACHINE\\" : "HKEY_CURRENT_USER\\")
         + subkey;
}

std::string registry_hive::mutex_name(const registry_mount& mount) {
  // Mutex names may hold no backslash after the namespace. The machine's
  // hive is shared by every session (Global\); a user's key by its session.
  std::string name = mount.root == registry_mount::root_key::local_machine ? "Global\\"
                                                                          : "Local\\";
  name += "Vigil.registry.";
  for (char c : mount.display())
    name += c == '\\' ? '/' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return name;
}

registry_hive::registry_hive(registry_mount mount, std::chrono::milliseconds lock_timeout)
  : mount_{std::move(mount)}, lock_timeout_{lock_timeout} {
}

caf::expected<hive> registry_hive::load() const {
  hive out;
  unique_key key;
  auto rc = ::RegOpenKeyExW(root_of(mount_), win::widen(mount_.subkey).c_str(), 0,
                            KEY_READ | view, &key.h);
  if (rc == ERROR_FILE_NOT_FOUND)
    return out;
  if (rc != ERROR_SUCCESS)
    return win::error_from(rc, "open " + mount_.display());
  if (auto ok = read_tree(key.h, std::string{agent_key}, out); !ok)
    return ok.error();
  return out;
}

caf::expected<hive> registry_hive::update(const change& fn) {
  auto lock = win::held_mutex::take(mutex_name(mount_), lock_timeout_);
  if (!lock)
    return lock.error();
  auto before = load();
  if (!before)
    return before.error();
  hive after = *before;
  if (auto changed = fn(after); !changed)
    return changed.error();
  for (auto* key : after.keys())
    if (!subkey_of(mount_, key->path) && !(is_agent_ancestor(key->path) && key->values.empty()))
      return make_error(ec::invalid_argument, "key " + key->path + " is outside "
                                                + std::string{agent_key}
                                                + ", the only tree the registry hive holds");
  if (auto ok = apply(mount_, diff(*before, after), after); !ok)
    return ok.error();
  return after;
}

caf::expected<void> registry_hive::erase() {
  auto lock = win::held_mutex::take(mutex_name(mount_), lock_timeout_);
  if (!lock)
    return lock.error();
  if (auto ok = remove_key(mount_, std::string{agent_key}); !ok)
    return ok;
  // The vendor's key, when the agent was its only product: RegDeleteKeyEx
  // removes only a key without subkeys. A test's key (a user mount) has a
  // parent other tests share, which stays.
  if (mount_.root == registry_mount::root_key::local_machine) {
    auto parent = mount_.subkey.substr(0, mount_.subkey.rfind('\\'));
    (void) ::RegDeleteKeyExW(HKEY_LOCAL_MACHINE, win::widen(parent).c_str(), view, 0);
  }
  return {};
}

} // namespace vigil
