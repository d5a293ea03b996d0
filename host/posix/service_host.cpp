// run_as_service where there is no service control dispatcher (service_host.hpp):
// systemd and the built-in supervisor run the agent as an ordinary process,
// which says it is ready through host/service_notify.hpp and stops on SIGTERM.
#include "host/service_host.hpp"

#include "common/error.hpp"

namespace vigil {

caf::expected<int> run_as_service(const std::string&, const service_body& body,
                                  std::function<void()>) {
  return body([] {});
}

bool started_outside_service_manager(const caf::error& err) {
  return code_of(err) == ec::invalid_argument;
}

} // namespace vigil
