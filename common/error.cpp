#include "common/error.hpp"

#include <cerrno>
#include <cstring>

#include <caf/message.hpp>

namespace vigil {

const char* to_string(ec code) noexcept {
  switch (code) {
    case ec::unspecified: return "unspecified";
    case ec::invalid_argument: return "invalid_argument";
    case ec::parse_error: return "parse_error";
    case ec::not_found: return "not_found";
    case ec::already_exists: return "already_exists";
    case ec::io_error: return "io_error";
    case ec::disk_full: return "disk_full";
    case ec::permission_denied: return "permission_denied";
    case ec::storage_error: return "storage_error";
    case ec::corruption: return "corruption";
    case ec::lock_failed: return "lock_failed";
    case ec::timeout: return "timeout";
    case ec::network_error: return "network_error";
    case ec::tls_error: return "tls_error";
    case ec::protocol_error: return "protocol_error";
    case ec::busy: return "busy";
    case ec::cancelled: return "cancelled";
    case ec::connection_refused: return "connection_refused";
    case ec::certificate_expired: return "certificate_expired";
    case ec::certificate_untrusted: return "certificate_untrusted";
    case ec::host_name_mismatch: return "host_name_mismatch";
    case ec::tls_protocol_version: return "tls_protocol_version";
    case ec::proxy_auth_required: return "proxy_auth_required";
    case ec::proxy_refused: return "proxy_refused";
    case ec::all_routes_failed: return "all_routes_failed";
    case ec::too_large: return "too_large";
    case ec::signature_invalid: return "signature_invalid";
    case ec::metadata_expired: return "metadata_expired";
    case ec::replayed_metadata: return "replayed_metadata";
    case ec::downgrade_refused: return "downgrade_refused";
    case ec::hash_mismatch: return "hash_mismatch";
    case ec::size_exceeded: return "size_exceeded";
    case ec::wrong_host: return "wrong_host";
    case ec::insufficient_disk_space: return "insufficient_disk_space";
    case ec::unsupported: return "unsupported";
  }
  return "unknown";
}

caf::error make_error(ec code) {
  return caf::error{static_cast<uint8_t>(code), error_category};
}

caf::error make_error(ec code, std::string context) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(context))};
}

caf::error invalid_argument_error(std::string reason) {
  return make_error(ec::invalid_argument, std::move(reason));
}

caf::error make_system_error(int errnum, std::string_view what) {
  auto code = ec::io_error;
  switch (errnum) {
    case ENOSPC:
#ifdef EDQUOT // Windows' C runtime has no errno for a disk quota
    case EDQUOT:
#endif
      code = ec::disk_full;
      break;
    case EACCES:
    case EPERM:
    case EROFS: code = ec::permission_denied; break;
    case ENOENT: code = ec::not_found; break;
    case EEXIST: code = ec::already_exists; break;
    case EWOULDBLOCK: code = ec::busy; break;
    case ETIMEDOUT: code = ec::timeout; break;
    case ECONNREFUSED: code = ec::connection_refused; break;
    default: break;
  }
  std::string context{what};
  context += ": ";
  context += std::strerror(errnum);
  return make_error(code, std::move(context));
}

ec code_of(const caf::error& err) noexcept {
  if (!err)
    return static_cast<ec>(0);
  if (err.category() != error_category)
    return ec::unspecified;
  return static_cast<ec>(err.code());
}

std::string context_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

std::string render(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() != error_category)
    return caf::to_string(err);
  std::string out = to_string(static_cast<ec>(err.code()));
  if (auto ctx = context_of(err); !ctx.empty()) {
    out += ": ";
    out += ctx;
  }
  return out;
}

} // namespace vigil
