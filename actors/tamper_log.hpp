#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "host/paths.hpp"
#include "protocol/checkin.hpp"

// The tamper journal (SPEC §13): every change self-protection found and what
// it did about it, one JSON line each in `<state>/tamper-events.jsonl`
// (0600), appended under an flock by whichever process found it (the agent's
// protector, or its supervisor repairing files before a restart) and read by
// the check-in actor, which reports every event with a sequence number above
// the last one the platform took. The journal keeps its newest 1,000 events.

namespace vigil {

/// `<state>/tamper-events.jsonl`.
std::filesystem::path tamper_log_file(const paths& p);

/// Appends `event` with the next sequence number (set in the returned copy)
/// and fsyncs; past 1,000 lines the oldest are dropped.
caf::expected<protocol::tamper_event> append_tamper_event(const paths& p,
                                                          protocol::tamper_event event);

/// The events with a sequence number above `after`, oldest first, at most
/// `limit`. A missing journal holds none; a line that does not parse is
/// skipped (the journal is only ever appended to whole lines).
std::vector<protocol::tamper_event> read_tamper_events(const paths& p, uint64_t after,
                                                       size_t limit = 100);

} // namespace vigil
