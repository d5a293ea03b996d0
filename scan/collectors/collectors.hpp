#pragma once

// The collectors behind `scan::collect`, one per file: in this folder, or in
// scan/posix and scan/windows for those that call the system. Internal to
// scan/: callers use `collect`, which dispatches on the collector's type.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "host/hive.hpp"
#include "scan/accounts.hpp"
#include "scan/collector.hpp"
#include "scan/root_fs.hpp"
#include "scan/snapshot.hpp"

namespace vigil::scan::detail {

/// One run of one collector: its spec (a JSON object), the context, the root
/// it reads under and the rows it appends to.
struct collector_call {
  const nlohmann::json& spec; ///< the collector's JSON object (with "type")
  const collect_context& ctx; ///< limits and the pace hook
  const root_fs& fs;          ///< the tree every path is read under
  snapshot& out;              ///< where rows go

  /// Appends the row `key` = canonical `value`.
  void add(std::string key, const nlohmann::json& value) const;
  /// Appends the row `key` = `{"error": "<rendered err>"}`.
  void add_error(std::string key, const caf::error& err) const;
  /// Lets the caller throttle (collect_context::pace) between items.
  void pace() const;
};

/// A collector: appends rows for everything it finds (per-item problems as
/// rows carrying "error") and returns an error only when its spec is unusable.
using collector_fn = caf::expected<void> (*)(const collector_call&);

/// Every collector type this system has, with its function: all twelve on
/// POSIX (scan/posix/collector_table.cpp); on Windows the nine with a
/// Windows meaning (scan/windows/collector_table.cpp). A type missing here is
/// reported by `collect` as an unknown type.
std::span<const std::pair<std::string_view, collector_fn>> collector_table() noexcept;

// Each collector's file starts with its spec members and its row format. The
// portable ones are in this folder; those that call the system are in
// scan/posix and scan/windows.

/// `os`: os-release, kernel, boot time, uptime on request (posix/os.cpp);
/// Windows: product, RtlGetVersion, uptime on request (windows/os.cpp).
caf::expected<void> collect_os(const collector_call& call);
/// `network`: host name, FQDN, DNS, interfaces (posix/network.cpp);
/// Windows: GetAdaptersAddresses (windows/network.cpp).
caf::expected<void> collect_network(const collector_call& call);
/// `packages`: dpkg status file, rpm when present (posix/packages.cpp);
/// Windows: the Uninstall keys of both registry views (windows/packages.cpp).
caf::expected<void> collect_packages(const collector_call& call);
/// `file`: stat facts, sha256 and matching lines of named paths (file.cpp).
caf::expected<void> collect_file(const collector_call& call);
/// `dir`: listings of glob matches under the root (dir.cpp).
caf::expected<void> collect_dir(const collector_call& call);
/// `sysctl`: kernel parameters by key or prefix (sysctl.cpp).
caf::expected<void> collect_sysctl(const collector_call& call);
/// `services`: systemd units and SysV scripts with their states
/// (services.cpp); Windows: the service control manager
/// (windows/services.cpp).
caf::expected<void> collect_services(const collector_call& call);
/// `listening_ports`: listening TCP and bound UDP sockets
/// (listening_ports.cpp); Windows: the IP Helper tables
/// (windows/listening_ports.cpp).
caf::expected<void> collect_listening_ports(const collector_call& call);
/// `users`: accounts, groups, password states (users.cpp); Windows:
/// NetUserEnum and NetLocalGroupEnum (windows/users.cpp).
caf::expected<void> collect_users(const collector_call& call);
/// `kernel_modules`: loaded modules (kernel_modules.cpp).
caf::expected<void> collect_kernel_modules(const collector_call& call);
/// `command`: a program's capped output under a timeout (command.cpp).
caf::expected<void> collect_command(const collector_call& call);
/// `registry`: values of a hive key (registry.cpp).
caf::expected<void> collect_registry(const collector_call& call);

/// The settings tree holding the normalized key path `key`, with keys under
/// their own paths (`HKEY_LOCAL_MACHINE\...`): on POSIX the whole hive file
/// under the root (scan/posix/registry_source.cpp); on Windows the key's
/// subtree of the real registry, under `ctx.machine_registry`
/// (scan/windows/registry_source.cpp). A missing key is a hive without it.
caf::expected<hive> load_registry(const collect_context& ctx, const std::string& key);

// -- spec members ------------------------------------------------------------

/// Member `name` of `spec` as a list: a string is a list of one, an array
/// must hold only strings. Missing: empty, or `ec::invalid_argument` when
/// `required`. Anything else is `ec::invalid_argument` naming the member.
caf::expected<std::vector<std::string>> spec_strings(const nlohmann::json& spec,
                                                     std::string_view name, bool required);

/// Member `name` as a string, or nothing when missing; other types are errors.
caf::expected<std::optional<std::string>> spec_string(const nlohmann::json& spec,
                                                      std::string_view name);

/// Member `name` as a boolean, `fallback` when missing.
caf::expected<bool> spec_bool(const nlohmann::json& spec, std::string_view name, bool fallback);

/// Member `name` as a non-negative integer, `fallback` when missing, at most
/// `ceiling` (larger values are lowered to it, so a manifest cannot lift a cap).
caf::expected<uint64_t> spec_count(const nlohmann::json& spec, std::string_view name,
                                   uint64_t fallback, uint64_t ceiling);

// -- shared helpers -----------------------------------------------------------

/// `text` without leading and trailing whitespace.
std::string_view trim(std::string_view text) noexcept;

/// The lines of `text` ('\n'-separated, a trailing '\r' removed).
std::vector<std::string_view> lines_of(std::string_view text);

/// Owner names from <root>/etc/passwd and <root>/etc/group; empty maps when
/// those cannot be read (rows then carry only the numbers).
owner_names load_owner_names(const root_fs& fs);

} // namespace vigil::scan::detail
