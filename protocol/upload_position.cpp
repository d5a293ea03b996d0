#include "protocol/upload_position.hpp"

#include "common/error.hpp"
#include "protocol/body.hpp"
#include "protocol/error_response.hpp"
#include "protocol/upload.hpp"

namespace vigil::protocol {

caf::expected<upload_position> read_upload_position(int status, std::string_view body) {
  if (status == 200) {
    auto held = parse_body<upload_status>(body);
    if (!held)
      return held.error();
    return upload_position{held->expected_seq, held->received_bytes};
  }
  if (status == 409) {
    auto refusal = parse_body<error_response>(body);
    if (refusal && refusal->expected_seq)
      return upload_position{*refusal->expected_seq, 0};
    if (refusal)
      return make_error(ec::protocol_error,
                        "platform 409 " + refusal->code + ": " + refusal->message
                          + " (no expected_seq)");
  }
  return error_of_answer(status, body);
}

} // namespace vigil::protocol
