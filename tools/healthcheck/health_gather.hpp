#pragma once

#include <optional>
#include <string>

#include "host/hive.hpp"
#include "host/paths.hpp"
#include "net/proxy_chain.hpp"
#include "tools/healthcheck/health_facts.hpp"

namespace vigil::health {

// Gathering the local facts of checks 1-5, 7 and 8 (SPEC §14): files under
// the root, /proc, the service manager. Nothing here writes or locks anything
// the agent uses, and nothing waits on the network.

/// Check 1: the hive's values and the installed program files. `out_hive`
/// receives the hive when it parses.
install_fact gather_install(const paths& p, hive& out_hive);

/// Check 2: systemd when it runs the machine and the root is "/", else the
/// built-in supervisor's pidfile checked against /proc.
service_fact gather_service(const paths& p);

/// Check 3: the supervisor (pidfile) and the agent (its recorded pid, else the
/// supervisor's `vigil-agent` children), each with CPU time and memory from
/// /proc/<pid>/stat and /proc/<pid>/status. Dead pids are left out.
std::vector<process_fact> gather_processes(const paths& p, const service_fact& service,
                                           const std::optional<agent_status>& status);

/// Check 4: the CA bundle pinned at setup (`state/ca-bundle.pem`) and the
/// system trust store, parsed with OpenSSL (subject, count, earliest expiry).
std::vector<certificate_fact> gather_certificates(const paths& p);

/// Check 5: the hive key `Proxy` as host/proxy_config reads it (ProxyUrls,
/// PacFilePath, DirectAttemptEnabled, SystemProxyEnabled, WPADEnabled,
/// Username, sealed Password). `out` receives what the probes use: the
/// proxies in order and the decrypted credentials.
proxy_fact gather_proxy(const paths& p, const hive& h, proxy_settings& out);

/// Check 7/8's source: `agent-status.json` into `f.status`, or why not.
void gather_status(const paths& p, facts& f);

/// Free space on the program data's file system and the space program data
/// and program files use.
void gather_disk(const paths& p, facts& f);

/// Where check 9 gets its URL and expected SHA-256: the options when given,
/// else the hive values `HealthCheck\PatchUrl` and `HealthCheck\PatchSha256`.
void gather_patch_config(const hive& h, const std::optional<std::string>& url_option,
                         const std::optional<std::string>& sha256_option, patch_fact& out);

} // namespace vigil::health
