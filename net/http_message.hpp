#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil {

/// The HTTP header fields of a message, in order; names compare
/// case-insensitively. Plain data so that code outside net/ never sees Beast.
struct http_fields {
  std::vector<std::pair<std::string, std::string>> entries;

  /// The first value of `name`, or empty.
  std::string get(std::string_view name) const;
  /// Whether `name` is present.
  bool has(std::string_view name) const;
  /// Replaces every `name` field with one `name: value`.
  void set(std::string_view name, std::string value);
};

/// An HTTP request as Vigil's code builds and handles it.
struct http_request {
  std::string method = "GET";
  std::string target = "/"; ///< path and query, e.g. "/CloudAgent/v1/profile"
  http_fields fields;
  std::string body;
  /// The longest response body the caller takes (0: the client's limit).
  /// A longer one fails as `ec::too_large` without being read to its end:
  /// a download whose signed size is known asks for no byte more.
  std::size_t response_limit = 0;
  /// Set by `https_server`: the number of the connection the request came on
  /// (1, 2, ... per server), so that its log shows how many connections, and
  /// TLS handshakes, a client's requests took. Not sent by clients.
  uint64_t connection = 0;
};

/// An HTTP response.
struct http_response {
  unsigned status = 200;
  http_fields fields;
  std::string body;
};

} // namespace vigil
