#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace vigil {

/// Every failure Vigil names. The numbers are stable: they appear in logs and
/// health reports, so new codes go at the end.
enum class ec : uint8_t {
  unspecified = 1,
  invalid_argument,  ///< a caller or user passed something unusable
  parse_error,       ///< malformed input: hive file, arguments, documents
  not_found,         ///< a key, value, file or record does not exist
  already_exists,    ///< creating something that is there already
  io_error,          ///< a system call failed for another reason
  disk_full,         ///< ENOSPC / RocksDB NoSpace
  permission_denied, ///< EACCES, EPERM, EROFS
  storage_error,     ///< the durable store failed
  corruption,        ///< stored data fails its own checks
  lock_failed,       ///< an advisory lock could not be taken
  timeout,           ///< a deadline passed
  network_error,     ///< connecting, sending or receiving failed
  tls_error,         ///< certificate or handshake failure
  protocol_error,    ///< the peer spoke something we do not understand
  busy,              ///< the resource is in use; try again later
  cancelled,         ///< the operation was stopped on purpose
  connection_refused,    ///< nothing listens at the address (ECONNREFUSED)
  certificate_expired,   ///< the peer's certificate (or one in its chain) has expired
  certificate_untrusted, ///< the chain does not lead to a trusted CA
  host_name_mismatch,    ///< the certificate is not for the host we asked for
  tls_protocol_version,  ///< no common TLS version (the peer is older than TLS 1.2)
  proxy_auth_required,   ///< the proxy answered 407
  proxy_refused,         ///< the proxy refused CONNECT with another status
  all_routes_failed,     ///< every proxy (and direct, when allowed) failed
  too_large,             ///< a message exceeded its configured size cap
  // The trust root (DESIGN "One trust root"): why signed content was refused.
  signature_invalid,     ///< unsigned, malformed, or not signed by a trusted key
  metadata_expired,      ///< signed metadata past its expiry time
  replayed_metadata,     ///< signed metadata older (by serial) than one already seen
  downgrade_refused,     ///< a version lower than the highest ever installed
  hash_mismatch,         ///< content whose SHA-256 is not the signed one
  size_exceeded,         ///< content longer than its signed size
  wrong_host,            ///< signed for another HostID
  insufficient_disk_space, ///< not enough free space for the work asked
  unsupported,           ///< not available on this system or in this build (said why)
};

/// The category atom of every Vigil error.
constexpr caf::atom_value error_category = caf::atom("vigil");

/// The name of an error code, as it appears in logs ("parse_error").
const char* to_string(ec code) noexcept;

/// An error carrying `code` and no context.
caf::error make_error(ec code);

/// An error carrying `code` and a human-readable `context` naming the cause
/// (the file, the line, the key, the underlying library's message).
caf::error make_error(ec code, std::string context);

/// `make_error(ec::invalid_argument, reason)`: what a grammar (a command line,
/// setup's arguments, vigil-proxy's options) returns for input it rejects.
caf::error invalid_argument_error(std::string reason);

/// Converts an errno value from a failed system call into an error that names
/// the call or object (`what`) and the system's description.
caf::error make_system_error(int errnum, std::string_view what);

/// The Vigil code of `err`, or `ec::unspecified` when `err` comes from another
/// category (CAF's own errors). A default-constructed error has no code: 0.
ec code_of(const caf::error& err) noexcept;

/// The context string given to `make_error`, or empty.
std::string context_of(const caf::error& err);

/// Renders an error for logs and stderr: "parse_error: registry.reg:3: ...".
std::string render(const caf::error& err);

} // namespace vigil
