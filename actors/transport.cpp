#include "actors/transport.hpp"

#include <caf/typed_event_based_actor.hpp>

#include "common/error.hpp"
#include "host/logging.hpp"

namespace vigil {

transport_actor::behavior_type
transport(transport_actor::stateful_pointer<transport_state> self, platform_client client) {
  self->state.client = std::make_unique<platform_client>(std::move(client));
  return {
    [=](request_atom, http_request& request) -> caf::result<http_response> {
      auto response = self->state.client->request(std::move(request));
      if (!response) {
        module_logger(log_module::network)->warn("request failed: {}", render(response.error()));
        return response.error();
      }
      return std::move(*response);
    },
    [=](upload_atom, const std::string& module, uint64_t seq,
        const std::string& bytes) -> caf::result<bool, bool, uint64_t, uint64_t> {
      auto result = self->state.client->upload_delta(module, seq, bytes);
      if (!result) {
        module_logger(log_module::upload)->warn("upload of {} seq {} failed: {}", module, seq,
                                                render(result.error()));
        return result.error();
      }
      return {result->applied, result->duplicate, result->expected_seq, result->rows};
    },
    [=](credentials_atom, std::string& host_id, std::string& token) {
      self->state.client->set_credentials(std::move(host_id), std::move(token));
    },
    [=](proxies_atom, proxy_settings& settings) {
      self->state.client->set_proxies(std::move(settings));
    },
  };
}

} // namespace vigil
