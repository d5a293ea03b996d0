#include "actors/tamper_log.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/text.hpp"
#include "host/atomic_file.hpp"
#include "host/file_lock.hpp"
#include "host/hive_store.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

constexpr size_t kept_events = 1000;

std::optional<protocol::tamper_event> parse_line(const std::string& line) {
  auto json = nlohmann::json::parse(line, nullptr, false);
  if (json.is_discarded())
    return std::nullopt;
  auto event = protocol::parse_tamper_event(json);
  if (!event)
    return std::nullopt;
  return std::move(*event);
}

} // namespace

fs::path tamper_log_file(const paths& p) {
  return p.state_dir() / "tamper-events.jsonl";
}

caf::expected<protocol::tamper_event> append_tamper_event(const paths& p,
                                                          protocol::tamper_event event) {
  auto file = tamper_log_file(p);
  auto lock = lock_sibling(file, std::chrono::seconds{10});
  if (!lock)
    return lock.error();
  auto text = read_whole_file(file);
  auto lines = text ? non_empty_lines(*text) : std::vector<std::string>{};
  uint64_t last = 0;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (auto e = parse_line(*it)) {
      last = e->seq;
      break;
    }
  event.seq = last + 1;
  lines.push_back(protocol::to_json(event).dump());
  if (lines.size() > kept_events)
    lines.erase(lines.begin(), lines.end() - kept_events);
  std::string out;
  for (auto& l : lines)
    out += l + "\n";
  auto written = write_file_atomically(file, out, 0600);
  if (!written)
    return written.error();
  return event;
}

std::vector<protocol::tamper_event> read_tamper_events(const paths& p, uint64_t after,
                                                       size_t limit) {
  std::vector<protocol::tamper_event> events;
  auto text = read_whole_file(tamper_log_file(p));
  if (!text)
    return events;
  for (auto& line : non_empty_lines(*text))
    if (auto e = parse_line(line); e && e->seq > after && events.size() < limit)
      events.push_back(std::move(*e));
  return events;
}

} // namespace vigil
