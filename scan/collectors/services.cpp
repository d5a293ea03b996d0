// The `services` collector: systemd services and SysV init scripts.
//
//   services/<unit>.service  {"manager": "systemd", "state": "enabled"|"disabled"|
//                             "static"|"masked", "path"?, "description"?,
//                             "wanted_by"?: [targets], "template"?: "x@.service"}
//   services/sysv/<name>     {"manager": "sysv", "state": "enabled"|"disabled",
//                             "runlevels": ["2", "3", ...]}
//   error/services/none      {"error"}  neither systemd unit directories nor /etc/init.d
//
// The state follows `systemctl is-enabled` without asking systemd (the tree
// may not be running): "masked" when /etc/systemd/system/<unit> links to
// /dev/null, "enabled" when a *.wants or *.requires directory of
// /etc/systemd/system links it, "static" when its unit file has no [Install]
// section, else "disabled". /etc/systemd/system overrides /lib and /usr/lib.
// Enabled instances of templates (getty@tty1.service) get their own rows.

#include <cctype>
#include <map>
#include <set>

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

constexpr std::string_view etc_units = "/etc/systemd/system";
/// In precedence order: the first directory holding a unit defines it.
constexpr std::string_view unit_dirs[] = {etc_units, "/lib/systemd/system",
                                          "/usr/lib/systemd/system"};
constexpr size_t unit_file_cap = 256 * 1024;

struct unit_info {
  std::string path; ///< in-root path of its file, as found in a unit directory
  bool masked = false;
};

/// Unit name -> where it is defined, for every *.service of the unit dirs.
std::map<std::string, unit_info> find_units(const root_fs& fs, bool& any_dir) {
  std::map<std::string, unit_info> units;
  for (auto dir : unit_dirs) {
    auto names = fs.list_dir(dir);
    if (!names)
      continue;
    any_dir = true;
    for (const auto& name : *names) {
      if (!name.ends_with(".service") || units.contains(name))
        continue;
      unit_info info{join_path(dir, name)};
      if (auto st = fs.lstat(info.path); st && st->is_symlink())
        if (auto target = fs.read_link(info.path); target && *target == "/dev/null")
          info.masked = true;
      units.emplace(name, std::move(info));
    }
  }
  return units;
}

/// Unit name -> the targets whose .wants/.requires directory in
/// /etc/systemd/system links it.
std::map<std::string, std::set<std::string>> find_wants(const root_fs& fs) {
  std::map<std::string, std::set<std::string>> wants;
  auto names = fs.list_dir(etc_units);
  if (!names)
    return wants;
  for (const auto& dir : *names) {
    std::string target;
    if (dir.ends_with(".wants"))
      target = dir.substr(0, dir.size() - 6);
    else if (dir.ends_with(".requires"))
      target = dir.substr(0, dir.size() - 9);
    else
      continue;
    if (auto links = fs.list_dir(join_path(etc_units, dir)))
      for (const auto& link : *links)
        wants[link].insert(target);
  }
  return wants;
}

/// The unit file's Description= and whether it has an [Install] section.
void read_unit_file(const root_fs& fs, const std::string& path, nlohmann::json& value,
                    bool& installable) {
  auto text = fs.read_file(path, unit_file_cap);
  if (!text) {
    value["error"] = render(text.error());
    return;
  }
  for (auto line : lines_of(*text)) {
    line = trim(line);
    if (line == "[Install]")
      installable = true;
    else if (line.starts_with("Description=") && !value.contains("description"))
      value["description"] = trim(line.substr(12));
  }
}

void collect_systemd(const collector_call& call, bool& any_dir) {
  auto units = find_units(call.fs, any_dir);
  auto wants = find_wants(call.fs);
  for (const auto& [name, info] : units) {
    if (name.find("@.") != std::string::npos)
      continue; // a template is not a service; its enabled instances are
    nlohmann::json value{{"manager", "systemd"}};
    if (info.masked) {
      value["state"] = "masked";
      call.add("services/" + name, value);
      continue;
    }
    value["path"] = info.path;
    bool installable = false;
    read_unit_file(call.fs, info.path, value, installable);
    if (auto it = wants.find(name); it != wants.end()) {
      value["state"] = "enabled";
      value["wanted_by"] = it->second;
    } else {
      value["state"] = installable ? "disabled" : "static";
    }
    call.add("services/" + name, value);
    call.pace();
  }
  // Instances: "getty@tty1.service" linked from a .wants dir, defined by
  // the template "getty@.service".
  for (const auto& [name, targets] : wants) {
    auto at = name.find('@');
    if (at == std::string::npos || units.contains(name) || !name.ends_with(".service"))
      continue;
    auto template_name = name.substr(0, at + 1) + ".service";
    auto it = units.find(template_name);
    if (it == units.end())
      continue;
    nlohmann::json value{{"manager", "systemd"},
                         {"path", it->second.path},
                         {"state", "enabled"},
                         {"template", template_name},
                         {"wanted_by", targets}};
    call.add("services/" + name, value);
  }
}

/// Whether an /etc/init.d entry is packaging debris rather than a script.
bool is_debris(std::string_view name) {
  for (auto suffix : {".dpkg-old", ".dpkg-dist", ".dpkg-new", ".dpkg-tmp", ".rpmsave",
                      ".rpmnew", ".rpmorig", "~"})
    if (name.ends_with(suffix))
      return true;
  return name.front() == '.' || name == "README" || name == "skeleton" || name == "functions";
}

void collect_sysv(const collector_call& call, bool& any_dir) {
  auto scripts = call.fs.list_dir("/etc/init.d");
  if (!scripts)
    return;
  any_dir = true;
  // script -> runlevels with an S link ("/etc/rc2.d/S01ssh").
  std::map<std::string, std::set<std::string>> started;
  for (std::string level : {"0", "1", "2", "3", "4", "5", "6", "S"}) {
    auto links = call.fs.list_dir("/etc/rc" + level + ".d");
    if (!links)
      continue;
    for (const auto& link : *links)
      if (link.size() > 3 && link[0] == 'S' && std::isdigit(static_cast<unsigned char>(link[1]))
          && std::isdigit(static_cast<unsigned char>(link[2])))
        started[link.substr(3)].insert(level);
  }
  for (const auto& name : *scripts) {
    if (is_debris(name))
      continue;
    auto st = call.fs.stat(join_path("/etc/init.d", name));
    if (!st || !st->is_regular())
      continue;
    auto levels = started[name];
    call.add("services/sysv/" + name, {{"manager", "sysv"},
                                       {"runlevels", levels},
                                       {"state", levels.empty() ? "disabled" : "enabled"}});
  }
}

} // namespace

caf::expected<void> collect_services(const collector_call& call) {
  bool any_dir = false;
  collect_systemd(call, any_dir);
  collect_sysv(call, any_dir);
  if (!any_dir)
    call.add_error("error/services/none",
                   make_error(ec::not_found, "no systemd unit directory and no /etc/init.d"));
  return {};
}

} // namespace vigil::scan::detail
