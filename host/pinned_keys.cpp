#include "host/pinned_keys.hpp"

#include "common/error.hpp"

namespace vigil {

std::string trust_key() {
  return std::string{agent_key} + "\\Trust";
}

caf::expected<trusted_keys> read_pinned_keys(const hive& h) {
  auto* value = h.get(trust_key(), root_key_value);
  if (value == nullptr || !value->as_string() || value->as_string()->empty())
    return make_error(ec::not_found, "no trust root is pinned (" + trust_key() + " "
                                       + root_key_value
                                       + "); reinstall with vigil-setup TrustKey=FILE, the "
                                         "platform's signing-key.pub");
  trusted_keys keys;
  if (auto ok = keys.add(*value->as_string()); !ok)
    return make_error(ec::parse_error, trust_key() + " " + root_key_value
                                         + " is not a public key: " + context_of(ok.error()));
  return keys;
}

} // namespace vigil
