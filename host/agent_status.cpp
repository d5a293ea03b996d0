#include "host/agent_status.hpp"

#include <atomic>
#include <cerrno>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "host/file_lock.hpp"
#include "host/hive_store.hpp"
#include "host/logging.hpp"

namespace vigil {

namespace {

using nlohmann::json;

constexpr std::string_view state_names[] = {"idle", "scanning", "pending_upload",
                                            "waiting_for_blackout"};

constexpr auto lock_timeout = std::chrono::seconds{10};

json to_json(const module_status& m) {
  return {{"name", m.name},
          {"activated", m.activated},
          {"activated_since", m.activated_since},
          {"state", to_string(m.state)},
          {"last_scan_start", m.last_scan_start},
          {"last_scan_end", m.last_scan_end},
          {"last_upload_ack", m.last_upload_ack},
          {"pending_delta_seq", m.pending_delta_seq},
          {"scan_interval_s", m.scan_interval_s},
          {"last_error", m.last_error},
          {"last_error_code", m.last_error_code}};
}

/// `j[key]` into `out` when present and of the right type; a present value of
/// the wrong type is an error (the file is not ours, or damaged).
template <class T>
bool read_field(const json& j, const char* key, T& out, std::string& problem) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return true;
  try {
    out = it->get<T>();
    return true;
  } catch (const json::exception&) {
    problem = std::string{"field '"} + key + "' has the wrong type";
    return false;
  }
}

bool read_module(const json& j, module_status& m, std::string& problem) {
  if (!j.is_object()) {
    problem = "a module entry is not an object";
    return false;
  }
  std::string state = "idle";
  bool ok = read_field(j, "name", m.name, problem) && read_field(j, "activated", m.activated, problem)
            && read_field(j, "activated_since", m.activated_since, problem)
            && read_field(j, "state", state, problem)
            && read_field(j, "last_scan_start", m.last_scan_start, problem)
            && read_field(j, "last_scan_end", m.last_scan_end, problem)
            && read_field(j, "last_upload_ack", m.last_upload_ack, problem)
            && read_field(j, "pending_delta_seq", m.pending_delta_seq, problem)
            && read_field(j, "scan_interval_s", m.scan_interval_s, problem)
            && read_field(j, "last_error", m.last_error, problem)
            && read_field(j, "last_error_code", m.last_error_code, problem);
  if (!ok)
    return false;
  auto parsed = parse_module_run_state(state);
  if (!parsed) {
    problem = "module " + m.name + ": unknown state '" + state + "'";
    return false;
  }
  m.state = *parsed;
  if (m.name.empty()) {
    problem = "a module entry has no name";
    return false;
  }
  return true;
}

std::mutex sink_mutex;
std::shared_ptr<status_board> sink_board;
std::function<void()> sink_changed;

} // namespace

std::string_view to_string(module_run_state s) noexcept {
  return state_names[static_cast<size_t>(s)];
}

std::optional<module_run_state> parse_module_run_state(std::string_view text) noexcept {
  for (size_t i = 0; i < std::size(state_names); ++i)
    if (state_names[i] == text)
      return static_cast<module_run_state>(i);
  return std::nullopt;
}

module_status& agent_status::module(std::string_view name) {
  for (auto& m : modules)
    if (m.name == name)
      return m;
  modules.push_back({});
  modules.back().name = std::string{name};
  return modules.back();
}

const module_status* agent_status::find_module(std::string_view name) const noexcept {
  for (auto& m : modules)
    if (m.name == name)
      return &m;
  return nullptr;
}

void agent_status::note_rebuilt(std::string what, int64_t at) {
  rebuilt.push_back({std::move(what), at});
  if (rebuilt.size() > max_rebuilt_state)
    rebuilt.erase(rebuilt.begin(), rebuilt.end() - max_rebuilt_state);
}

std::filesystem::path agent_status_file(const paths& p) {
  return p.state_dir() / "agent-status.json";
}

std::string to_json_text(const agent_status& s) {
  json modules = json::array();
  for (auto& m : s.modules)
    modules.push_back(to_json(m));
  json rebuilt = json::array();
  for (auto& r : s.rebuilt)
    rebuilt.push_back({{"what", r.what}, {"at", r.at}});
  json j{{"pid", s.pid},
         {"started_at", s.started_at},
         {"version", s.version},
         {"provisioned", s.provisioned},
         {"last_checkin", s.last_checkin},
         {"checkins_since_start", s.checkins_since_start},
         {"last_checkin_error", s.last_checkin_error},
         {"last_checkin_error_code", s.last_checkin_error_code},
         {"last_checkin_error_at", s.last_checkin_error_at},
         {"checkin_interval_s", s.checkin_interval_s},
         {"config_id", s.config_id},
         {"profile_etag", s.profile_etag},
         {"release_metadata_version", s.release_metadata_version},
         {"release_metadata_expires_at", s.release_metadata_expires_at},
         {"release_metadata_checked_at", s.release_metadata_checked_at},
         {"release_metadata_expired", s.release_metadata_expired},
         {"in_blackout", s.in_blackout},
         {"blackout_until", s.blackout_until},
         {"modules", std::move(modules)},
         {"last_route", s.last_route},
         {"last_transport_error", s.last_transport_error},
         {"last_transport_error_code", s.last_transport_error_code},
         {"last_transport_error_at", s.last_transport_error_at},
         {"self_protection", s.self_protection},
         {"self_protection_off_until", s.self_protection_off_until},
         {"tamper_watch", s.tamper_watch},
         {"last_tamper", s.last_tamper},
         {"last_tamper_at", s.last_tamper_at},
         {"tamper_events", s.tamper_events},
         {"orders_pending", s.orders_pending},
         {"rebuilt_state", std::move(rebuilt)}};
  return j.dump(2) + "\n";
}

caf::expected<agent_status> parse_agent_status(std::string_view text, std::string_view source) {
  auto j = json::parse(text, nullptr, false);
  auto fail = [&](const std::string& why) {
    return make_error(ec::parse_error, std::string{source} + ": " + why);
  };
  if (j.is_discarded())
    return fail("not valid JSON");
  if (!j.is_object())
    return fail("not a JSON object");
  agent_status s;
  std::string problem;
  bool ok = read_field(j, "pid", s.pid, problem) && read_field(j, "started_at", s.started_at, problem)
            && read_field(j, "version", s.version, problem)
            && read_field(j, "provisioned", s.provisioned, problem)
            && read_field(j, "last_checkin", s.last_checkin, problem)
            && read_field(j, "checkins_since_start", s.checkins_since_start, problem)
            && read_field(j, "last_checkin_error", s.last_checkin_error, problem)
            && read_field(j, "last_checkin_error_code", s.last_checkin_error_code, problem)
            && read_field(j, "last_checkin_error_at", s.last_checkin_error_at, problem)
            && read_field(j, "checkin_interval_s", s.checkin_interval_s, problem)
            && read_field(j, "config_id", s.config_id, problem)
            && read_field(j, "profile_etag", s.profile_etag, problem)
            && read_field(j, "release_metadata_version", s.release_metadata_version, problem)
            && read_field(j, "release_metadata_expires_at", s.release_metadata_expires_at, problem)
            && read_field(j, "release_metadata_checked_at", s.release_metadata_checked_at, problem)
            && read_field(j, "release_metadata_expired", s.release_metadata_expired, problem)
            && read_field(j, "in_blackout", s.in_blackout, problem)
            && read_field(j, "blackout_until", s.blackout_until, problem)
            && read_field(j, "last_route", s.last_route, problem)
            && read_field(j, "last_transport_error", s.last_transport_error, problem)
            && read_field(j, "last_transport_error_code", s.last_transport_error_code, problem)
            && read_field(j, "last_transport_error_at", s.last_transport_error_at, problem)
            && read_field(j, "self_protection", s.self_protection, problem)
            && read_field(j, "self_protection_off_until", s.self_protection_off_until, problem)
            && read_field(j, "tamper_watch", s.tamper_watch, problem)
            && read_field(j, "last_tamper", s.last_tamper, problem)
            && read_field(j, "last_tamper_at", s.last_tamper_at, problem)
            && read_field(j, "tamper_events", s.tamper_events, problem)
            && read_field(j, "orders_pending", s.orders_pending, problem);
  if (!ok)
    return fail(problem);
  if (auto it = j.find("modules"); it != j.end() && !it->is_null()) {
    if (!it->is_array())
      return fail("field 'modules' is not an array");
    for (auto& entry : *it) {
      module_status m;
      if (!read_module(entry, m, problem))
        return fail(problem);
      s.modules.push_back(std::move(m));
    }
  }
  if (auto it = j.find("rebuilt_state"); it != j.end() && !it->is_null()) {
    if (!it->is_array())
      return fail("field 'rebuilt_state' is not an array");
    for (auto& entry : *it) {
      rebuilt_state r;
      if (!entry.is_object() || !read_field(entry, "what", r.what, problem)
          || !read_field(entry, "at", r.at, problem))
        return fail(problem.empty() ? "an entry of 'rebuilt_state' is not an object" : problem);
      s.rebuilt.push_back(std::move(r));
    }
  }
  return s;
}

caf::expected<agent_status> load_agent_status(const paths& p) {
  auto file = agent_status_file(p);
  auto text = read_whole_file(file);
  if (!text) {
    if (code_of(text.error()) == ec::not_found)
      return make_error(ec::not_found, file.string() + " does not exist (the agent never ran?)");
    return text.error();
  }
  return parse_agent_status(*text, file.string());
}

caf::expected<agent_status> update_agent_status(const paths& p,
                                                const std::function<void(agent_status&)>& change) {
  auto file = agent_status_file(p);
  std::error_code ignored;
  std::filesystem::create_directories(file.parent_path(), ignored);
  auto lock = lock_sibling(file, lock_timeout);
  if (!lock)
    return lock.error();
  agent_status before;
  std::string old_text;
  if (auto text = read_whole_file(file)) {
    old_text = std::move(*text);
    if (auto parsed = parse_agent_status(old_text, file.string()))
      before = std::move(*parsed);
  } else if (code_of(text.error()) != ec::not_found) {
    return text.error();
  }
  auto after = before;
  change(after);
  auto new_text = to_json_text(after);
  if (new_text == old_text)
    return after;
  // 0600: the last route and errors may name proxies and hosts (issue 15, defect 5).
  if (auto ok = write_file_atomically(file, new_text, 0600); !ok)
    return ok.error();
  return after;
}

status_board::status_board(agent_status initial) : status_(std::move(initial)) {
}

bool status_board::apply(const std::function<void(agent_status&)>& change) {
  std::lock_guard guard{mutex_};
  auto before = status_;
  change(status_);
  if (status_ == before)
    return false;
  ++version_;
  return true;
}

std::pair<agent_status, uint64_t> status_board::snapshot() const {
  std::lock_guard guard{mutex_};
  return {status_, version_};
}

void set_agent_status_sink(std::shared_ptr<status_board> board, std::function<void()> changed) {
  std::lock_guard guard{sink_mutex};
  sink_board = std::move(board);
  sink_changed = std::move(changed);
}

void record_agent_status(const std::function<void(agent_status&)>& change) {
  std::shared_ptr<status_board> board;
  std::function<void()> changed;
  {
    std::lock_guard guard{sink_mutex};
    board = sink_board;
    changed = sink_changed;
  }
  if (board && board->apply(change) && changed)
    changed();
}

int64_t unix_now() noexcept {
  return static_cast<int64_t>(std::time(nullptr));
}

} // namespace vigil
