#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace vigil::protocol {

/// Every module the platform can activate, spelled as on the wire (SPEC §7).
/// The first five are scan based; FIM, EDR and PM are licensable but have no
/// engine in this agent.
inline constexpr std::array<std::string_view, 8> module_names{
  "Inventory", "Vulnerability", "PolicyCompliance", "UDC", "SCA", "FIM", "EDR", "PM"};

/// The modules that run scans from a manifest and upload deltas.
inline constexpr std::array<std::string_view, 5> scan_module_names{
  "Inventory", "Vulnerability", "PolicyCompliance", "UDC", "SCA"};

/// Whether `name` is one of `module_names`, spelled exactly (case matters on the
/// wire).
bool is_module_name(std::string_view name) noexcept;

/// Whether `name` is one of `scan_module_names`, spelled exactly.
bool is_scan_module(std::string_view name) noexcept;

/// The wire spelling of the module `name` matched case-insensitively (for names
/// typed by people or read from the hive, whose keys ignore case), or nothing
/// when no module has that name.
std::optional<std::string_view> canonical_module_name(std::string_view name) noexcept;

} // namespace vigil::protocol
