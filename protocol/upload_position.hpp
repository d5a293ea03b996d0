#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <string_view>

namespace vigil::protocol {

/// Where the platform stands on one pending delta: the seq it applies next and
/// the bytes of this delta it holds (the next chunk's offset).
struct upload_position {
  uint64_t expected_seq = 1;
  uint64_t received_bytes = 0;

  friend bool operator==(const upload_position&, const upload_position&) = default;
};

/// The platform's answer to the status request `GET v1/deltas/{module}/{seq}`
/// (SPEC §9), received with HTTP `status`: 200 carries an `upload_status`; 409
/// an `error_response` whose `expected_seq` names the seq the platform applies
/// next (it holds nothing of this one). Anything else is the error the answer
/// means (`error_of_answer`); a 200 or 409 whose body says no more is a parse
/// error. One reading for the agent's uploader and the fleet simulator.
caf::expected<upload_position> read_upload_position(int status, std::string_view body);

} // namespace vigil::protocol
