// vigil-spconfig: the guide's QualysSPConfig (SPEC §13). Shows whether
// self-protection is on; with a valid SPFKEY for this host, turns it off
// locally until the key expires or the platform turns it on again.

#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "host/agent_status.hpp"
#include "host/hive_file.hpp"
#include "host/password_input.hpp"
#include "host/paths.hpp"
#include "host/self_protection.hpp"
#include "host/text_encoding.hpp"

using namespace vigil;

namespace {

constexpr const char* usage =
  "vigil-spconfig [--root DIR]\n"
  "  Shows whether self-protection is on (SPEC §13).\n"
  "vigil-spconfig [--root DIR] SPFKEY=<key>\n"
  "  Turns self-protection off on this host until the key expires or the\n"
  "  platform turns it on again. The key comes from `vigil-platform spfkey\n"
  "  --host {HostID}`; it is used once. SPFKEY=- reads it from standard input,\n"
  "  so that it does not show in the process list.\n"
  "Exit codes: 0 done, 1 refused or failed, 2 bad arguments.\n";

std::string utc(int64_t t) {
  char text[32];
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

int show(const paths& p) {
  auto h = hive_file{p.hive_file()}.load();
  if (!h) {
    std::cerr << "vigil-spconfig: " << render(h.error()) << "\n";
    return 1;
  }
  auto state = read_protection_state(*h, unix_now());
  std::cout << "SelfProtection=" << (state.on() ? "on" : "off") << "\n";
  std::cout << "Requested=" << (state.requested ? "on" : "off") << " (by the platform)\n";
  if (state.off_until)
    std::cout << "OffUntil=" << utc(*state.off_until) << " (turned off with an SPFKEY)\n";
  if (auto status = load_agent_status(p)) {
    if (!status->tamper_watch.empty())
      std::cout << "Watch=" << status->tamper_watch << "\n";
    if (status->last_tamper_at > 0)
      std::cout << "LastTamper=" << utc(status->last_tamper_at) << " " << status->last_tamper
                << "\n";
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto root = paths::take_root_option(args);
  std::optional<std::string> key;
  for (auto& a : args) {
    if (a == "--help" || a == "-h" || a == "/?") {
      std::cout << usage;
      return 0;
    }
    auto eq = a.find('=');
    if (eq != std::string::npos && iequals(a.substr(0, eq), "SPFKEY")) {
      key = a.substr(eq + 1);
      continue;
    }
    std::cerr << "vigil-spconfig: unknown argument '" << (eq == std::string::npos ? a : a.substr(0, eq))
              << "'\n"
              << usage;
    return 2;
  }
  auto p = paths::from_environment(root);
  if (!key)
    return show(p);
  if (*key == "-") {
    auto read = read_secret_line(0, "SPFKEY: ");
    if (!read) {
      std::cerr << "vigil-spconfig: " << render(read.error()) << "\n";
      return 2;
    }
    key = std::move(*read);
  }
  if (key->empty()) {
    std::cerr << "vigil-spconfig: SPFKEY= needs a key\n";
    return 2;
  }
  hive_file hive{p.hive_file()};
  auto until = turn_protection_off_with_key(hive, *key, unix_now());
  if (!until) {
    // The error names the cause and never quotes the key.
    std::cerr << "vigil-spconfig: refused: " << render(until.error()) << "\n";
    return 1;
  }
  std::cout << "SelfProtection=off\nOffUntil=" << utc(*until) << "\n";
  return 0;
}
