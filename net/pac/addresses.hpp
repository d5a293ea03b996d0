#pragma once

// Address arithmetic behind Microsoft's IPv6 PAC extensions (isInNetEx,
// sortIpAddressList). Pure functions over text addresses.

#include <optional>
#include <string>
#include <string_view>

namespace vigil {

/// Whether `address` (an IPv4 or IPv6 literal) lies in `prefix`
/// ("198.95.0.0/16", "3ffe:8311:ffff::/48"; a bare address means /32 or
/// /128). False when either is malformed or the families differ.
bool address_in_prefix(std::string_view address, std::string_view prefix);

/// `list` ("a;b;c", addresses of either family, spaces allowed) sorted: IPv6
/// addresses first, then IPv4, each family in ascending numeric order, joined
/// by ';'. Empty when the list is empty or an entry is not an address.
std::optional<std::string> sort_address_list(std::string_view list);

} // namespace vigil
