#pragma once

// The round-trip property of the fuzz targets that parse protocol bodies
// (protocol_bodies, platform_responses).

#include <string_view>

#include "fuzz/fuzz_support.hpp"
#include "protocol/body.hpp"

namespace vigil::fuzz {

/// When `body` parses as a `T`, its serialization parses back to the same value.
template <class T>
void check_round_trip(std::string_view body) {
  auto parsed = protocol::parse_body<T>(body);
  if (!parsed)
    return;
  auto again = protocol::parse_body<T>(protocol::to_body(*parsed));
  check(static_cast<bool>(again), "a serialized message parses");
  check(*again == *parsed, "a serialized message parses back to the same message");
}

} // namespace vigil::fuzz
