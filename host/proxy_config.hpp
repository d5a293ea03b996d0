#pragma once

#include <caf/expected.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/hive.hpp"
#include "host/hive_store.hpp"

// The agent's own proxy settings as the hive stores them (SPEC §2, §10), under
// `HKLM\SOFTWARE\Vigil\VigilAgent\Proxy`. Written by vigil-proxy and by
// setup's `Proxy=`; read by the agent's proxy resolver and by the health check.
//
//   ProxyUrls            REG_SZ     `url1;url2;...` (tried in that order)
//   PacFilePath          REG_SZ     the PAC file URL (excludes ProxyUrls)
//   Username             REG_SZ     one user name for every proxy
//   Password             REG_SZ     sealed by secret_box, purpose "proxy-password"
//   DirectAttemptEnabled REG_DWORD  1 (default): connect directly after all proxies fail
//   SystemProxyEnabled   REG_DWORD  0 (default): use https_proxy/http_proxy/no_proxy
//   WPADEnabled          REG_DWORD  0 (default): use WPAD (wpad.<domain>/wpad.dat)
//
// The seed guide does not say whether the agent uses WPAD or the system proxy
// settings by default; both are off, because an administrator deploys the
// proxy configuration explicitly, and WPAD lookups by DNS are a known way for
// anyone on the local network to become the agent's proxy. A missing value
// means its default; a DWORD other than 0 is on.

namespace vigil {

/// The hive key of the proxy settings.
std::string proxy_key();

/// The purpose under which the proxy password is sealed (secret_box).
inline constexpr std::string_view proxy_password_purpose = "proxy-password";

/// The agent's proxy settings, as stored. The password stays sealed here: only
/// the code that sends it to a proxy opens it.
struct proxy_config {
  std::vector<std::string> proxy_urls;        ///< ProxyUrls, in order
  std::optional<std::string> pac_url;         ///< PacFilePath
  std::optional<std::string> username;        ///< Username
  std::optional<std::string> sealed_password; ///< Password (secret_box output)
  bool direct_fallback = true;                ///< DirectAttemptEnabled (/t)
  bool system_proxy = false;                  ///< SystemProxyEnabled (/h)
  bool wpad = false;                          ///< WPADEnabled (/w)
  /// CredentialsToAnyProxy (/e): the credentials also go to proxies named by
  /// WPAD, a PAC file fetched over plain http, or the system settings.
  bool credentials_to_any = false;

  /// Whether any proxy source (list, PAC, WPAD, system) is configured.
  bool any_source() const noexcept {
    return !proxy_urls.empty() || pac_url || wpad || system_proxy;
  }

  friend bool operator==(const proxy_config&, const proxy_config&) = default;
};

/// Splits a `ProxyUrls` value at `;`, trimming blanks and skipping empty items.
std::vector<std::string> split_proxy_list(std::string_view list);

/// The settings stored in `h` (defaults for what is missing). Values of the
/// wrong type are ignored, as if missing.
proxy_config read_proxy_config(const hive& h);

/// Replaces the stored settings with `config` in `h`: the key is rewritten so
/// that it holds exactly `config` (values equal to their defaults are written
/// too, so `vigil-reg query` shows them). A config equal to the defaults
/// removes the key.
void write_proxy_config(hive& h, const proxy_config& config);

/// `read_proxy_config` of the hive file. A missing file gives the defaults; a
/// malformed one is its `ec::parse_error`.
caf::expected<proxy_config> load_proxy_config(const hive_store& file);

/// Changes the stored settings atomically under the hive lock: `fn` receives
/// the current settings and changes them (returning an error aborts, leaving
/// the hive byte-identical). Returns the settings as written.
caf::expected<proxy_config>
update_proxy_config(hive_store& file,
                    const std::function<caf::expected<void>(proxy_config&)>& fn);

} // namespace vigil
