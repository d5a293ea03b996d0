// The `packages` collector on Windows: installed programs as Programs and
// Features lists them, from the Uninstall keys of both registry views.
//
//   packages/<DisplayName>         {"arch": "x64"|"x86", "source": "uninstall",
//                                   "version"?, "publisher"?}
//   packages/<DisplayName>:<arch>  the same, when one name is installed in both
//                                  views, so no row hides another
//   error/packages/<view>          {"error"}  an Uninstall key that could not be read
//   error/packages/none            {"error"}  neither Uninstall key exists
//
// HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall holds the 64-bit
// programs; SOFTWARE\WOW6432Node\... the 32-bit ones. As Programs and Features
// does, a subkey without DisplayName, marked SystemComponent=1, or naming a
// ParentKeyName (an update of another program) is no row.

#include <map>

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

struct view {
  std::string_view arch;
  std::string_view key;
};

constexpr view views[] = {
  {"x64", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall"},
  {"x86", "HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall"},
};

struct program {
  std::string arch;
  std::optional<std::string> version;
  std::optional<std::string> publisher;
};

std::optional<std::string> text_of(const reg_key& key, std::string_view name) {
  if (const auto* v = key.find(name))
    return v->as_string();
  return std::nullopt;
}

} // namespace

caf::expected<void> collect_packages(const collector_call& call) {
  // name -> arch -> program; the first subkey (in key order) of a name and
  // view wins.
  std::map<std::string, std::map<std::string, program>> by_name;
  bool any_key = false;
  for (const auto& [arch, key] : views) {
    auto loaded = load_registry(call.ctx, std::string{key});
    if (!loaded) {
      call.add_error("error/packages/" + std::string{arch}, loaded.error());
      continue;
    }
    if (loaded->find_key(key) == nullptr)
      continue;
    any_key = true;
    for (const auto& child : loaded->child_keys(key)) {
      const auto* k = loaded->find_key(child);
      if (k == nullptr)
        continue;
      auto name = text_of(*k, "DisplayName");
      if (!name || name->empty() || text_of(*k, "ParentKeyName"))
        continue;
      if (const auto* hidden = k->find("SystemComponent"); hidden && hidden->as_number() == 1u)
        continue;
      by_name[*name].try_emplace(std::string{arch},
                                 program{std::string{arch}, text_of(*k, "DisplayVersion"),
                                         text_of(*k, "Publisher")});
    }
    call.pace();
  }
  if (!any_key) {
    call.add_error("error/packages/none",
                   make_error(ec::not_found, "no Uninstall key in either registry view"));
    return {};
  }
  for (const auto& [name, arches] : by_name) {
    for (const auto& [arch, p] : arches) {
      auto key = "packages/" + name;
      if (arches.size() > 1)
        key += ":" + arch;
      nlohmann::json value{{"arch", p.arch}, {"source", "uninstall"}};
      if (p.version)
        value["version"] = *p.version;
      if (p.publisher)
        value["publisher"] = *p.publisher;
      call.add(std::move(key), value);
    }
  }
  return {};
}

} // namespace vigil::scan::detail
