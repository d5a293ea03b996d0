#include "scan/collectors/collectors.hpp"

#include "common/error.hpp"

namespace vigil::scan::detail {

void collector_call::add(std::string key, const nlohmann::json& value) const {
  out.push_back({std::move(key), canonical_json(value)});
}

void collector_call::add_error(std::string key, const caf::error& err) const {
  add(std::move(key), nlohmann::json{{"error", render(err)}});
}

void collector_call::pace() const {
  if (ctx.pace)
    ctx.pace();
}

namespace {

caf::error bad_member(std::string_view name, std::string_view expected) {
  return make_error(ec::invalid_argument,
                    "member '" + std::string{name} + "' must be " + std::string{expected});
}

} // namespace

caf::expected<std::vector<std::string>> spec_strings(const nlohmann::json& spec,
                                                     std::string_view name, bool required) {
  auto it = spec.find(name);
  if (it == spec.end()) {
    if (required)
      return make_error(ec::invalid_argument, "member '" + std::string{name} + "' is missing");
    return std::vector<std::string>{};
  }
  if (it->is_string())
    return std::vector<std::string>{it->get<std::string>()};
  if (!it->is_array())
    return bad_member(name, "a string or an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *it) {
    if (!item.is_string())
      return bad_member(name, "a string or an array of strings");
    out.push_back(item.get<std::string>());
  }
  if (required && out.empty())
    return bad_member(name, "a non-empty list");
  return out;
}

caf::expected<std::optional<std::string>> spec_string(const nlohmann::json& spec,
                                                      std::string_view name) {
  auto it = spec.find(name);
  if (it == spec.end())
    return std::optional<std::string>{};
  if (!it->is_string())
    return bad_member(name, "a string");
  return std::optional<std::string>{it->get<std::string>()};
}

caf::expected<bool> spec_bool(const nlohmann::json& spec, std::string_view name, bool fallback) {
  auto it = spec.find(name);
  if (it == spec.end())
    return fallback;
  if (!it->is_boolean())
    return bad_member(name, "true or false");
  return it->get<bool>();
}

caf::expected<uint64_t> spec_count(const nlohmann::json& spec, std::string_view name,
                                   uint64_t fallback, uint64_t ceiling) {
  auto it = spec.find(name);
  if (it == spec.end())
    return std::min(fallback, ceiling);
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0))
    return bad_member(name, "a non-negative integer");
  return std::min(it->get<uint64_t>(), ceiling);
}

std::string_view trim(std::string_view text) noexcept {
  constexpr std::string_view blanks = " \t\r\n\v\f";
  auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos)
    return {};
  auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    out.push_back(line);
  }
  return out;
}

owner_names load_owner_names(const root_fs& fs) {
  owner_names names;
  constexpr size_t cap = 16 * 1024 * 1024;
  if (auto text = fs.read_file("/etc/passwd", cap))
    for (const auto& e : parse_passwd(*text).entries)
      names.users.emplace(e.uid, e.name); // the first of duplicate uids, like getpwuid
  if (auto text = fs.read_file("/etc/group", cap))
    for (const auto& e : parse_group(*text).entries)
      names.groups.emplace(e.gid, e.name);
  return names;
}

} // namespace vigil::scan::detail
