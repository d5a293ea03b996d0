#pragma once

// How the agent evaluates a PAC script: in the vigil-pac child program, under
// a wall-clock deadline, a CPU limit and memory caps, so that a script that
// loops or allocates forever costs the agent one failed evaluation and
// nothing else. No JavaScript engine is linked into the agent.

#include <caf/expected.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "net/pac/result.hpp"

namespace vigil {

/// Replacements for what the PAC helpers would read from the machine; used by
/// tests and benchmarks so that answers are deterministic.
struct pac_overrides {
  /// Names resolve from this hosts-style file only ("address name..."), never
  /// from DNS.
  std::optional<std::filesystem::path> hosts_file;
  /// myIpAddress / myIpAddressEx answer these instead of the interfaces'.
  std::vector<std::string> my_addresses;
  /// The clock of weekdayRange / dateRange / timeRange (local time is the
  /// agent's TZ; "GMT" arguments use UTC).
  std::optional<std::time_t> now;
};

/// One PAC evaluation: which script, which URL, and how to run it.
struct pac_request {
  /// The PAC on disk (a downloaded copy); when empty, `script_text` is used.
  std::filesystem::path script_file;
  /// The PAC's source, sent to the child on stdin when `script_file` is empty.
  std::string script_text;
  /// The URL whose route is wanted (FindProxyForURL's first argument).
  std::string url;
  /// FindProxyForURL's second argument; empty: derived from `url`.
  std::string host;
  /// The vigil-pac program; the agent passes `default_pac_program()`.
  std::filesystem::path program;
  /// Wall-clock limit of the child run (for a batch: of the whole batch).
  std::chrono::milliseconds timeout{5000};
  /// Deterministic answers for tests.
  pac_overrides overrides;
};

/// One URL of a batch.
struct pac_query {
  std::string url;  ///< FindProxyForURL's first argument
  std::string host; ///< its second argument; empty: derived from `url`
};

/// Evaluates `request.url` with the script and parses the answer into a
/// failover list. Errors, each naming the cause: `ec::timeout` (the wall
/// deadline or the CPU limit ended the child), `ec::too_large` (the script
/// exceeded its memory cap, or printed too much), `ec::parse_error` (the
/// script does not compile, throws, defines no FindProxyForURL, or answers
/// something malformed: the JavaScript message is included), `ec::not_found`
/// (no vigil-pac program, or no script file), `ec::invalid_argument` (no
/// script, a URL without a host), `ec::unspecified` (vigil-pac crashed).
/// Blocks the calling thread for up to `request.timeout` (run it in a
/// detached actor); safe to call from several threads at once. The Windows
/// build has no vigil-pac yet: there every evaluation fails at once with
/// `ec::unsupported` saying so (net/pac/windows/evaluator.cpp).
caf::expected<pac_result> evaluate_pac(const pac_request& request);

/// Evaluates every query with one run of the child (the script is compiled
/// once): the outer error is one that spoils the whole run (the kinds above),
/// the inner ones belong to a single URL (a throw, a malformed answer, a URL
/// without a host). `request.url` and `request.host` are ignored; the
/// timeout covers the whole batch.
caf::expected<std::vector<caf::expected<pac_result>>>
evaluate_pac_batch(const pac_request& request, const std::vector<pac_query>& queries);

/// Where the agent finds vigil-pac: next to its own executable (both are
/// installed to the same bin directory).
std::filesystem::path default_pac_program();

} // namespace vigil
