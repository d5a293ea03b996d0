#pragma once

// The agent's platform client, pointed at a test platform: what the platform's
// binary tests speak to it with.

#include "net/https_client.hpp"
#include "net/platform_client.hpp"
#include "host/url.hpp"
#include "tests/support/platform.hpp"

namespace vigil::test {

/// A platform_client for `platform`, trusting its CA, with short timeouts,
/// keeping connections alive for `keep_alive` (0: one per request).
inline platform_client client_for(const platform_process& platform,
                                  std::chrono::milliseconds keep_alive =
                                    client_options{}.keep_alive) {
  client_options options;
  options.keep_alive = keep_alive;
  options.trust.ca_bundle = platform.ca_file();
  options.connect_timeout = std::chrono::seconds{5};
  options.io_timeout = std::chrono::seconds{20};
  return platform_client{*https_client::make(options), *parse_url(platform.web_service_uri())};
}

} // namespace vigil::test
