#pragma once
// One request to a platform_service, as the HTTPS server would hand it over:
// what the platform's unit tests send.

#include <string>
#include <utility>
#include <vector>

#include "net/http_message.hpp"
#include "platform/service.hpp"

namespace vigil::test {

/// `method` `target` (under /CloudAgent/) with `body` and `headers`, as
/// `service` answers it.
inline http_response call(platform::platform_service& service, std::string method,
                          std::string target, std::string body = {},
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
  http_request r;
  r.method = std::move(method);
  r.target = "/CloudAgent/" + std::move(target);
  r.body = std::move(body);
  for (auto& [k, v] : headers)
    r.fields.set(k, v);
  return service.handle(r);
}

} // namespace vigil::test
