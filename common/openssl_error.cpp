#include "common/openssl_error.hpp"

#include <openssl/err.h>

#include "common/error.hpp"

namespace vigil {

caf::error openssl_error(std::string what) {
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    what += std::string{": "} + buf;
  }
  return make_error(ec::unspecified, std::move(what));
}

} // namespace vigil
