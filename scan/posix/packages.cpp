// The `packages` collector: installed packages from the dpkg status file and,
// when the tree has an rpm database and this host has `rpm`, from rpm.
//
//   packages/<name>         {"arch", "source": "dpkg"|"rpm", "version"}
//   packages/<name>:<arch>  the same, when one name is installed for several
//                           architectures (multiarch), so no row hides another
//   error/packages/dpkg-status:<line>  {"error", "package"?}  a malformed stanza
//   error/packages/<what>   {"error"}  a database that could not be read
//
// A malformed stanza costs only its own row: every other package is kept.

#include <map>
#include <unistd.h>

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"
#include "scan/command_runner.hpp"
#include "scan/dpkg_status.hpp"

namespace vigil::scan::detail {

namespace {

constexpr size_t database_cap = 256 * 1024 * 1024;
constexpr std::string_view dpkg_status_path = "/var/lib/dpkg/status";

/// Whether the tree has an rpm database (classic or /usr/lib/sysimage).
bool has_rpm_database(const root_fs& fs) {
  for (auto dir : {"/var/lib/rpm", "/usr/lib/sysimage/rpm"})
    if (auto st = fs.stat(dir); st && st->is_dir())
      return true;
  return false;
}

/// This host's rpm binary, if any.
std::optional<std::string> rpm_program() {
  for (auto candidate : {"/usr/bin/rpm", "/bin/rpm"})
    if (::access(candidate, X_OK) == 0)
      return std::string{candidate};
  return std::nullopt;
}

/// The error of a status file above the cap.
caf::error too_large_status() {
  return make_error(ec::too_large,
                    "/var/lib/dpkg/status: larger than the cap; the rest was skipped");
}

void add_problems(const collector_call& call, std::string_view source,
                  const std::vector<package_problem>& problems) {
  for (const auto& p : problems) {
    nlohmann::json value{{"error", "parse_error: " + p.message}};
    if (!p.package.empty())
      value["package"] = p.package;
    call.add("error/packages/" + std::string{source} + ":" + std::to_string(p.line), value);
  }
}

} // namespace

caf::expected<void> collect_packages(const collector_call& call) {
  std::vector<installed_package> found;
  bool any_database = false;
  bool truncated = false;
  auto status = call.fs.read_file(dpkg_status_path, database_cap, &truncated);
  if (status) {
    any_database = true;
    if (truncated)
      call.add_error("error/packages/dpkg-status", too_large_status());
    auto list = parse_dpkg_status(*status);
    add_problems(call, "dpkg-status", list.problems);
    found = std::move(list.packages);
  } else if (code_of(status.error()) != ec::not_found) {
    any_database = true;
    call.add_error("error/packages/dpkg-status", status.error());
  }
  call.pace();
  if (has_rpm_database(call.fs)) {
    any_database = true;
    if (auto rpm = rpm_program()) {
      auto result = run_command({*rpm, "--root", call.fs.root().string(), "-qa", "--qf",
                                 "%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\n"},
                                call.ctx.command_timeout, database_cap);
      if (!result)
        call.add_error("error/packages/rpm", result.error());
      else if (result->timed_out || result->truncated || result->exit_code != 0) {
        std::string message = "rpm -qa failed";
        message += result->timed_out ? " (timed out): " : ": ";
        message.append(result->output, 0, 512);
        call.add_error("error/packages/rpm", make_error(ec::io_error, std::move(message)));
      } else {
        auto list = parse_rpm_query(result->output);
        add_problems(call, "rpm", list.problems);
        found.insert(found.end(), list.packages.begin(), list.packages.end());
      }
    } else {
      call.add_error("error/packages/rpm",
                     make_error(ec::not_found, "an rpm database exists but no rpm program does"));
    }
  }
  if (!any_database) {
    call.add_error("error/packages/none",
                   make_error(ec::not_found, "no package database (/var/lib/dpkg/status, "
                                             "/var/lib/rpm)"));
    return {};
  }
  // Multiarch: a name installed for several architectures gets one row per
  // architecture; the usual single one keeps the plain name.
  std::map<std::string, std::map<std::string, const installed_package*>> by_name;
  for (const auto& p : found)
    by_name[p.name][p.architecture] = &p;
  for (const auto& [name, arches] : by_name) {
    for (const auto& [arch, p] : arches) {
      auto key = "packages/" + name;
      if (arches.size() > 1)
        key += ":" + arch;
      call.add(std::move(key),
               {{"arch", p->architecture}, {"source", p->source}, {"version", p->version}});
    }
  }
  return {};
}

} // namespace vigil::scan::detail
