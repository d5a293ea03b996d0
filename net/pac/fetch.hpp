#pragma once

// Downloading a PAC file (SPEC §10: `vigil-proxy /a <PAC file url>`, WPAD's
// http://wpad.<domain>/wpad.dat).

#include <caf/expected.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "net/https_client.hpp"

namespace vigil {

/// Limits of one PAC download.
struct pac_fetch_options {
  size_t max_bytes = 1u << 20;              ///< larger PACs are refused: ec::too_large
  std::chrono::milliseconds timeout{10'000}; ///< connect, and each read and write
  tls_trust trust;                           ///< for https:// locations
};

/// The PAC text at `location`: an `http://` or `https://` URL (fetched
/// directly, never through a proxy: the PAC is what names the proxies), a
/// `file://` URL or a plain path. Errors name the location: the transport's
/// errors for URLs, `ec::protocol_error` for an answer other than 200,
/// `ec::not_found` for a missing file, `ec::too_large` past `max_bytes`,
/// `ec::invalid_argument` for another scheme.
caf::expected<std::string> fetch_pac(std::string_view location,
                                     const pac_fetch_options& options = {});

} // namespace vigil
