#include "host/hive.hpp"

#include <algorithm>
#include <cstdio>

#include "common/error.hpp"
#include "common/text.hpp"
#include "host/text_encoding.hpp"

namespace vigil {

namespace {

struct root_alias {
  std::string_view short_name;
  std::string_view long_name;
};

constexpr root_alias roots[] = {
  {"HKLM", "HKEY_LOCAL_MACHINE"}, {"HKCU", "HKEY_CURRENT_USER"},
  {"HKCR", "HKEY_CLASSES_ROOT"},  {"HKU", "HKEY_USERS"},
  {"HKCC", "HKEY_CURRENT_CONFIG"},
};

} // namespace

caf::expected<std::string> normalize_key_path(std::string_view path) {
  auto invalid = [&](std::string_view why) {
    return make_error(ec::invalid_argument,
                      "invalid key name '" + std::string{path} + "': " + std::string{why});
  };
  auto p = trim_blanks(path);
  // Control characters (a tab aside) have no place in a key name, and a line
  // break could not be written to the .reg file; the hive's ordering also
  // relies on key names without bytes below the tab.
  for (char c : p)
    if (is_control(c) && c != '\t') {
      char code[8];
      std::snprintf(code, sizeof(code), "0x%02x", static_cast<unsigned char>(c));
      return invalid(std::string{"a key name cannot hold the control character "} + code);
    }
  // reg.exe accepts one trailing backslash after a subkey ("HKLM\\A\\") and
  // refuses two, and refuses one after a bare root ("HKLM\\").
  if (p.ends_with("\\\\"))
    return invalid("it ends with two backslashes");
  if (p.ends_with('\\')) {
    p.remove_suffix(1);
    if (p.find('\\') == std::string_view::npos)
      return invalid("a root key followed by '\\' names no subkey (write the root alone, or "
                     "ROOT\\SUBKEY)");
  }
  auto sep = p.find('\\');
  auto root = p.substr(0, sep);
  std::string out;
  for (auto& alias : roots)
    if (iequals(root, alias.short_name) || iequals(root, alias.long_name))
      out = alias.long_name;
  if (out.empty())
    return make_error(ec::invalid_argument,
                      "invalid key name '" + std::string{path}
                        + "': it must start with HKLM, HKCU, HKCR, HKU or HKCC");
  if (sep == std::string_view::npos)
    return out;
  auto rest = p.substr(sep + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    auto end = rest.find('\\', start);
    auto segment = rest.substr(start, end == std::string_view::npos ? rest.npos : end - start);
    if (segment.empty())
      return make_error(ec::invalid_argument,
                        "invalid key name '" + std::string{path} + "': empty key segment");
    out += '\\';
    out += segment;
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  return out;
}

bool is_root_key(std::string_view normalized_path) noexcept {
  return normalized_path.find('\\') == std::string_view::npos;
}

const reg_value* reg_key::find(std::string_view name) const noexcept {
  for (auto& value : values)
    if (iequals(value.name, name))
      return &value;
  return nullptr;
}

std::string hive::sort_key(std::string_view path) {
  auto key = fold_case(path);
  std::replace(key.begin(), key.end(), '\\', '\x01');
  return key;
}

const reg_key* hive::find_key(std::string_view path) const {
  auto i = keys_.find(sort_key(path));
  return i == keys_.end() ? nullptr : &i->second;
}

reg_key& hive::ensure_key(std::string_view path) {
  auto key = sort_key(path);
  if (auto i = keys_.find(key); i != keys_.end())
    return i->second;
  // Create the parents first, as regedit does on import.
  for (auto sep = path.find('\\'); sep != std::string_view::npos;
       sep = path.find('\\', sep + 1)) {
    auto parent = path.substr(0, sep);
    keys_.try_emplace(sort_key(parent), reg_key{std::string{parent}, {}});
  }
  return keys_.try_emplace(std::move(key), reg_key{std::string{path}, {}}).first->second;
}

bool hive::remove_key(std::string_view path) {
  auto key = sort_key(path);
  auto first = keys_.find(key);
  if (first == keys_.end())
    return false;
  auto last = std::next(first);
  auto child_prefix = key + '\x01';
  while (last != keys_.end() && last->first.starts_with(child_prefix))
    ++last;
  keys_.erase(first, last);
  return true;
}

const reg_value* hive::get(std::string_view path, std::string_view name) const {
  auto* key = find_key(path);
  return key ? key->find(name) : nullptr;
}

void hive::set(std::string_view path, reg_value value) {
  auto& key = ensure_key(path);
  for (auto& existing : key.values) {
    if (iequals(existing.name, value.name)) {
      value.name = existing.name;
      existing = std::move(value);
      return;
    }
  }
  key.values.push_back(std::move(value));
}

bool hive::erase_value(std::string_view path, std::string_view name) {
  auto i = keys_.find(sort_key(path));
  if (i == keys_.end())
    return false;
  auto& values = i->second.values;
  auto it = std::find_if(values.begin(), values.end(),
                         [&](const reg_value& v) { return iequals(v.name, name); });
  if (it == values.end())
    return false;
  values.erase(it);
  return true;
}

std::vector<const reg_key*> hive::subtree(std::string_view path) const {
  std::vector<const reg_key*> out;
  auto key = sort_key(path);
  auto i = keys_.find(key);
  if (i == keys_.end())
    return out;
  auto child_prefix = key + '\x01';
  for (; i != keys_.end() && (i->first == key || i->first.starts_with(child_prefix)); ++i)
    out.push_back(&i->second);
  return out;
}

std::vector<std::string> hive::child_keys(std::string_view path) const {
  std::vector<std::string> out;
  auto child_prefix = sort_key(path) + '\x01';
  for (auto i = keys_.lower_bound(child_prefix);
       i != keys_.end() && i->first.starts_with(child_prefix); ++i)
    if (i->first.find('\x01', child_prefix.size()) == std::string::npos)
      out.push_back(i->second.path);
  return out;
}

std::vector<const reg_key*> hive::keys() const {
  std::vector<const reg_key*> out;
  out.reserve(keys_.size());
  for (auto& [_, key] : keys_)
    out.push_back(&key);
  return out;
}

} // namespace vigil
