#include "actors/protector_host.hpp"

#include "common/error.hpp"

namespace vigil {

caf::expected<void> self_protection_available() {
  return make_error(ec::unsupported, "self-protection is not supported in the Windows build yet");
}

void keep_service_protection(const paths&, bool) {
  // Nothing to keep: the Windows service's recovery actions are the service
  // host's, and protection never turns on here.
}

std::optional<protocol::tamper_event> revive_supervisor(const paths&, const std::string&) {
  // The service control manager runs the agent: there is no built-in
  // supervisor to revive.
  return std::nullopt;
}

} // namespace vigil
