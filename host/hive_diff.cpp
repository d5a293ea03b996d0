#include "host/hive_diff.hpp"

#include "host/text_encoding.hpp"

namespace vigil {

std::vector<hive_change> diff(const hive& before, const hive& after) {
  std::vector<hive_change> out;
  using kind = hive_change::kind;
  for (auto* old_key : before.keys()) {
    auto* new_key = after.find_key(old_key->path);
    if (new_key == nullptr) {
      out.push_back({kind::key_removed, old_key->path, {}});
      continue;
    }
    for (auto& value : old_key->values) {
      auto* now = new_key->find(value.name);
      if (now == nullptr)
        out.push_back({kind::value_removed, new_key->path, value.name});
      else if (now->type != value.type || now->data != value.data)
        out.push_back({kind::value_set, new_key->path, now->name});
    }
    for (auto& value : new_key->values)
      if (old_key->find(value.name) == nullptr)
        out.push_back({kind::value_set, new_key->path, value.name});
  }
  for (auto* new_key : after.keys()) {
    if (before.find_key(new_key->path) != nullptr)
      continue;
    out.push_back({kind::key_added, new_key->path, {}});
    for (auto& value : new_key->values)
      out.push_back({kind::value_set, new_key->path, value.name});
  }
  return out;
}

bool is_under(const hive_change& change, std::string_view key) {
  if (change.key.size() < key.size())
    return false;
  if (!iequals(std::string_view{change.key}.substr(0, key.size()), key))
    return false;
  return change.key.size() == key.size() || change.key[key.size()] == '\\';
}

} // namespace vigil
