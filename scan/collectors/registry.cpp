// The `registry` collector: values of the hive (SPEC §2).
//
// spec: {"key": "HKLM\\SOFTWARE\\Vigil\\VigilAgent", "value"?: one value name,
//        "recursive"?: false}
//
//   registry/<key path>/<value name, "@" for the default>
//       {"type": "REG_DWORD", "data": 1}      numbers for DWORD/QWORD, strings for
//                                             SZ/EXPAND_SZ, a list for MULTI_SZ,
//                                             lowercase hex for BINARY
//       {"type", "redacted": true}            a value named like a secret
//       {"exists": false}                     the named value is absent
//   registry/<key path>  {"exists": false}    the key is absent
//   error/registry/hive  {"error"}            the hive cannot be read or parsed
//
// Key paths are spelled as stored (the hive keeps the case a key was created
// with). Values whose name says password, secret, token, credential or
// SPFKEY never leave the host.

#include <cctype>

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

bool secret_name(std::string_view name) {
  std::string lower{name};
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto word : {"password", "passwd", "secret", "token", "credential", "spfkey"})
    if (lower.find(word) != std::string::npos)
      return true;
  return false;
}

nlohmann::json describe(const reg_value& v) {
  nlohmann::json out{{"type", to_string(v.type)}};
  if (secret_name(v.name)) {
    out["redacted"] = true;
    return out;
  }
  std::visit(
    [&](const auto& data) {
      using T = std::decay_t<decltype(data)>;
      if constexpr (std::is_same_v<T, std::vector<uint8_t>>) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string hex;
        for (auto b : data) {
          hex += digits[b >> 4];
          hex += digits[b & 15];
        }
        out["data"] = hex;
      } else {
        out["data"] = data;
      }
    },
    v.data);
  return out;
}

std::string value_key(const reg_key& key, const std::string& name) {
  return "registry/" + key.path + "/" + (name.empty() ? std::string{"@"} : name);
}

} // namespace

caf::expected<void> collect_registry(const collector_call& call) {
  auto key = spec_string(call.spec, "key");
  if (!key)
    return key.error();
  if (!*key)
    return make_error(ec::invalid_argument, "member 'key' is missing");
  auto path = normalize_key_path(**key);
  if (!path)
    return path.error();
  auto name = spec_string(call.spec, "value");
  if (!name)
    return name.error();
  auto recursive = spec_bool(call.spec, "recursive", false);
  if (!recursive)
    return recursive.error();
  auto loaded = load_registry(call.ctx, *path);
  if (!loaded) {
    call.add_error("error/registry/hive", loaded.error());
    return {};
  }
  const auto* found = loaded->find_key(*path);
  if (found == nullptr) {
    call.add("registry/" + *path, {{"exists", false}});
    return {};
  }
  if (*name) {
    if (const auto* v = found->find(**name))
      call.add(value_key(*found, v->name), describe(*v));
    else
      call.add(value_key(*found, **name), {{"exists", false}});
    return {};
  }
  auto keys = *recursive ? loaded->subtree(*path) : std::vector<const reg_key*>{found};
  for (const auto* k : keys)
    for (const auto& v : k->values)
      call.add(value_key(*k, v.name), describe(v));
  return {};
}

} // namespace vigil::scan::detail
