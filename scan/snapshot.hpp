#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil::scan {

/// One collected item (SPEC §7): `key` names it (`packages/openssl`,
/// `file//etc/passwd`, `sysctl/net.ipv4.ip_forward`), `value` is the canonical
/// serialization of what was collected, so equal host state gives equal bytes
/// and the delta diff can compare rows as plain strings.
struct snapshot_row {
  std::string key;
  std::string value;

  friend bool operator==(const snapshot_row&, const snapshot_row&) = default;
};

/// What a scan produced: after `finalize`, rows sorted by key with unique keys.
using snapshot = std::vector<snapshot_row>;

/// Puts `rows` in snapshot order: sorted by key (bytewise), and of rows sharing
/// a key only the one appended last is kept, so a later collector of a manifest
/// overrides an earlier one deterministically.
void finalize(snapshot& rows);

/// `value` as compact JSON with object members sorted by name (nlohmann's
/// default `std::map` ordering) and invalid UTF-8 replaced by U+FFFD instead of
/// throwing, so any bytes a collector read serialize the same way every time.
std::string canonical_json(const nlohmann::json& value);

} // namespace vigil::scan
