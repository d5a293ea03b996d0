#pragma once

// The in-process PAC interpreter (Duktape). Only the vigil-pac child program
// and tests link it: the agent itself never runs a PAC script in its own
// process (a PAC is untrusted code that may loop or allocate without bound);
// it calls pac_evaluator, which runs vigil-pac under limits.

#include <caf/expected.hpp>
#include <cstddef>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

/// What the PAC helper functions see of the machine. Every member has a real
/// default (see `system_pac_environment`); tests replace them to be
/// deterministic.
struct pac_environment {
  /// Every address of `host` (IPv6 and IPv4, as text), empty when it does
  /// not resolve. Backs dnsResolve, isResolvable, isInNet and the Ex versions.
  std::function<std::vector<std::string>(const std::string& host)> resolve;
  /// This machine's addresses (myIpAddress takes the first IPv4 one,
  /// myIpAddressEx all of them).
  std::function<std::vector<std::string>()> my_addresses;
  /// The time of weekdayRange, dateRange and timeRange (local time is the
  /// process's time zone, TZ; "GMT" arguments use UTC).
  std::function<std::time_t()> now;
};

/// The real machine: getaddrinfo, the addresses of the interfaces that are up
/// (loopback and link-local excluded), and the system clock.
pac_environment system_pac_environment();

/// A resolver that answers from a hosts-style file ("address name..." lines,
/// '#' comments; a name on several lines has several addresses) and never
/// asks DNS: IP literals resolve to themselves, other names not in the file do
/// not resolve. Fails with `ec::not_found` / `ec::parse_error` naming the file
/// and line.
caf::expected<std::function<std::vector<std::string>(const std::string&)>>
hosts_file_resolver(const std::filesystem::path& file);

/// A loaded PAC script in its own Duktape heap, capped at `heap_limit` bytes.
/// Not thread-safe; one per thread.
class pac_engine {
public:
  /// Compiles the helper functions and then `script` (`name` appears in error
  /// messages). A script that does not compile or throws is an
  /// `ec::parse_error` with the JavaScript message and line; one that defines
  /// neither FindProxyForURLEx nor FindProxyForURL is `ec::not_found`; one
  /// that exhausts the heap cap is `ec::too_large`.
  static caf::expected<std::unique_ptr<pac_engine>> load(std::string_view script,
                                                         pac_environment environment,
                                                         size_t heap_limit,
                                                         std::string name = "PAC");

  ~pac_engine();
  pac_engine(const pac_engine&) = delete;
  pac_engine& operator=(const pac_engine&) = delete;

  /// Calls FindProxyForURLEx(url, host) when the script defines it, else
  /// FindProxyForURL(url, host), and returns the answer string. A throw or a
  /// non-string answer is an `ec::parse_error` with the message; running out
  /// of the heap cap is `ec::too_large`, after which the engine should be
  /// dropped (the script's state may be half-built).
  caf::expected<std::string> find_proxy(std::string_view url, std::string_view host);

  /// Evaluates a JavaScript expression in the script's global scope and
  /// returns it converted to a string (tests of the helper functions).
  caf::expected<std::string> evaluate(std::string_view expression);

  /// The implementation's state (opaque).
  struct impl;

private:
  explicit pac_engine(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

} // namespace vigil
