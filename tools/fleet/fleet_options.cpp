#include "tools/fleet/fleet_options.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>

#include "common/error.hpp"
#include "host/url.hpp"
#include "protocol/guid.hpp"

namespace vigil::fleet {

namespace {

caf::error bad(const std::string& option, const std::string& why) {
  return invalid_argument_error("--" + option + ": " + why);
}

caf::expected<double> number(const std::string& option, const std::string& text, double low,
                             double high) {
  double value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (err != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
    return bad(option, "'" + text + "' is not a number");
  if (value < low || value > high)
    return bad(option, "'" + text + "' is not from " + std::to_string(low) + " to "
                         + std::to_string(high));
  return value;
}

caf::expected<uint64_t> whole(const std::string& option, const std::string& text, uint64_t low,
                              uint64_t high) {
  uint64_t value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (err != std::errc{} || end != text.data() + text.size())
    return bad(option, "'" + text + "' is not a whole number");
  if (value < low || value > high)
    return bad(option, "'" + text + "' is not from " + std::to_string(low) + " to "
                         + std::to_string(high));
  return value;
}

} // namespace

std::string fleet_usage() {
  return "usage: vigil-fleet --url https://HOST:PORT/CloudAgent/ --ca FILE --customer {G}\n"
         "                   --activation {G} [--agents N] [--seconds S] [options]\n"
         "       vigil-fleet --verify-only --state FILE --data-dir DIR\n"
         "Simulates N agents speaking protocol v1 to a platform, reports each phase's\n"
         "operations/s, latencies and errors, then verifies host by host that the\n"
         "platform holds exactly the rows each agent sent. The last line reads\n"
         "`verified: N hosts, lost=L duplicated=D`; the exit code is 0 only when both are 0.\n"
         "options:\n"
         "  --agents N         simulated hosts (10000)\n"
         "  --seconds S        how long agents check in, then pending uploads drain (60)\n"
         "  --workers W        threads running agents' turns, one connection each (16)\n"
         "  --interval S       check-in interval, compressed (10)\n"
         "  --jitter F         each interval varies by +-F of itself (0.2)\n"
         "  --ramp S           first contacts spread over S seconds (one interval); a\n"
         "                     first contact (provisioning, full snapshots) is the\n"
         "                     platform's heaviest work: give a large fleet time\n"
         "  --change-share F   share of hosts whose rows change per cycle (0.1)\n"
         "  --rows N           rows per host and module (200)\n"
         "  --row-changes N    rows changed per change, plus one added and one removed (5)\n"
         "  --chunk-bytes N    upload chunk size (16384)\n"
         "  --drain S          at most S seconds to finish pending uploads at the end (30)\n"
         "  --seed N           HostIDs, rows and schedules derive from it (1)\n"
         "  --data-dir DIR     the platform's data directory, read to verify (default:\n"
         "                     the directory of --ca, where `serve` writes ca.pem)\n"
         "  --trust-key FILE   the platform's public root key (DATA_DIR/signing-key.pub)\n"
         "  --state FILE       write the agents' final state there\n"
         "  --verify-only      no traffic: verify the agents of --state against the platform\n";
}

caf::expected<fleet_options> parse_fleet_args(const std::vector<std::string>& args) {
  fleet_options o;
  using setter = std::function<caf::expected<void>(const std::string&)>;
  auto real = [&](const char* name, double& field, double low, double high) {
    return setter{[&field, name, low, high](const std::string& text) -> caf::expected<void> {
      auto v = number(name, text, low, high);
      if (!v)
        return v.error();
      field = *v;
      return {};
    }};
  };
  auto count = [&](const char* name, auto& field, uint64_t low, uint64_t high) {
    return setter{[&field, name, low, high](const std::string& text) -> caf::expected<void> {
      auto v = whole(name, text, low, high);
      if (!v)
        return v.error();
      field = static_cast<std::remove_reference_t<decltype(field)>>(*v);
      return {};
    }};
  };
  auto guid = [&](const char* name, std::string& field) {
    return setter{[&field, name](const std::string& text) -> caf::expected<void> {
      if (!protocol::is_guid(text))
        return bad(name, "'" + text + "' is not a {8-4-4-4-12} GUID");
      field = text;
      return {};
    }};
  };
  auto path = [&](std::optional<std::filesystem::path>& field) {
    return setter{[&field](const std::string& text) -> caf::expected<void> {
      field = text;
      return {};
    }};
  };
  std::map<std::string, setter> options{
    {"url",
     [&](const std::string& text) -> caf::expected<void> {
       auto u = parse_url(text);
       if (!u)
         return bad("url", context_of(u.error()));
       o.url = text;
       return {};
     }},
    {"ca",
     [&](const std::string& text) -> caf::expected<void> {
       o.ca = text;
       return {};
     }},
    {"customer", guid("customer", o.customer_id)},
    {"activation", guid("activation", o.activation_id)},
    {"agents", count("agents", o.agents, 1, 10'000'000)},
    {"seconds", real("seconds", o.seconds, 0, 86'400)},
    {"workers", count("workers", o.workers, 1, 4096)},
    {"interval", real("interval", o.interval_s, 0.01, 86'400)},
    {"jitter", real("jitter", o.jitter, 0, 0.9)},
    {"ramp", real("ramp", o.ramp_s, 0, 86'400)},
    {"change-share", real("change-share", o.change_share, 0, 1)},
    {"rows", count("rows", o.rows, 1, 1'000'000)},
    {"row-changes", count("row-changes", o.row_changes, 0, 1'000'000)},
    {"chunk-bytes", count("chunk-bytes", o.chunk_bytes, 1, 4 * 1024 * 1024)},
    {"drain", real("drain", o.drain_s, 0, 86'400)},
    {"seed", count("seed", o.seed, 0, UINT64_MAX)},
    {"data-dir", path(o.data_dir)},
    {"trust-key", path(o.trust_key)},
    {"state", path(o.state_file)},
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--help" || a == "-h") {
      o.help = true;
      return o;
    }
    if (a == "--verify-only") {
      o.verify_only = true;
      continue;
    }
    if (!a.starts_with("--"))
      return invalid_argument_error("unexpected argument '" + a + "'");
    auto eq = a.find('=');
    auto name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    auto found = options.find(name);
    if (found == options.end())
      return invalid_argument_error("unknown option --" + name);
    std::string value;
    if (eq != std::string::npos)
      value = a.substr(eq + 1);
    else if (i + 1 < args.size())
      value = args[++i];
    else
      return bad(name, "needs a value");
    if (auto ok = found->second(value); !ok)
      return ok.error();
  }
  if (!o.data_dir && !o.ca.empty())
    o.data_dir = o.ca.parent_path().empty() ? std::filesystem::path{"."} : o.ca.parent_path();
  if (o.verify_only) {
    if (!o.state_file)
      return invalid_argument_error("--verify-only needs --state FILE");
    if (!o.data_dir)
      return invalid_argument_error("--verify-only needs --data-dir DIR");
    return o;
  }
  for (auto [name, missing] : {std::pair{"url", o.url.empty()}, std::pair{"ca", o.ca.empty()},
                               std::pair{"customer", o.customer_id.empty()},
                               std::pair{"activation", o.activation_id.empty()}})
    if (missing)
      return invalid_argument_error(std::string{"--"} + name + " is required");
  if (o.row_changes > o.rows)
    return bad("row-changes", "more than --rows (" + std::to_string(o.rows) + ")");
  if (!o.trust_key && o.data_dir)
    o.trust_key = *o.data_dir / "signing-key.pub";
  return o;
}

} // namespace vigil::fleet
