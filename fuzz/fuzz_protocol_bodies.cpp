// Fuzz target: manifests, profiles and the other platform messages. The input
// is one JSON body, read as every message type with parse_body<T>, as a profile
// that drops malformed windows (parse_profile_body, what the agent does), and
// as a manifest via parse_manifest.
// Properties: no crash and no escaping exception; a parsed message serializes
// (to_body) to a body that parses back to the same message.

#include <nlohmann/json.hpp>

#include "fuzz/body_round_trip.hpp"
#include "fuzz/fuzz_support.hpp"
#include "protocol/body.hpp"
#include "protocol/checkin.hpp"
#include "protocol/error_response.hpp"
#include "protocol/manifest.hpp"
#include "protocol/profile.hpp"
#include "protocol/provision.hpp"
#include "protocol/status.hpp"
#include "protocol/upload.hpp"

namespace {

using namespace vigil::protocol;
namespace fuzz = vigil::fuzz;


} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto body = fuzz::as_text(data, size);
  // Platform responses (the agent reads them).
  vigil::fuzz::check_round_trip<manifest>(body);
  vigil::fuzz::check_round_trip<profile>(body);
  vigil::fuzz::check_round_trip<checkin_response>(body);
  vigil::fuzz::check_round_trip<order>(body);
  vigil::fuzz::check_round_trip<provision_response>(body);
  vigil::fuzz::check_round_trip<status_response>(body);
  vigil::fuzz::check_round_trip<upload_status>(body);
  vigil::fuzz::check_round_trip<upload_result>(body);
  vigil::fuzz::check_round_trip<error_response>(body);
  // Agent requests (the test platform reads them).
  vigil::fuzz::check_round_trip<checkin_request>(body);
  vigil::fuzz::check_round_trip<provision_request>(body);
  vigil::fuzz::check_round_trip<upload_complete>(body);

  std::vector<caf::error> dropped;
  if (auto lenient = parse_profile_body(body, dropped)) {
    auto again = parse_body<profile>(to_body(*lenient));
    fuzz::check(again && *again == *lenient,
                "a profile without its malformed windows parses strictly");
  }
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_discarded() && json.is_object()) {
    (void)parse_manifest(json);
    if (json.contains("blackout_windows") && json["blackout_windows"].is_array())
      for (const auto& window : json["blackout_windows"])
        (void)parse_blackout_window(window);
  }
  return 0;
}
