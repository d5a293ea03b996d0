#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "host/paths.hpp"
#include "tools/healthcheck/health_facts.hpp"

// What checks 3 and 4 (SPEC §14) ask of the operating system: the agent's
// processes and the system's trust store. POSIX reads /proc and the system CA
// file (posix/host_facts.cpp); Windows asks the process API and the
// certificate store (windows/host_facts.cpp).

namespace vigil::health {

/// The service's main process as the service manager of `kind` knows it, or
/// 0: the built-in supervisor's pidfile (POSIX), the service control
/// manager's process id of the service (Windows).
int service_main_pid(const paths& p, const std::string& kind);

/// Whether process `pid` runs and is a vigil-agent.
bool runs_vigil_agent(int pid);

/// CPU time and memory of `pid` as `role`, or nothing when it is gone.
std::optional<process_fact> read_process(int pid, std::string role);

/// The pids whose parent is `parent` and that run vigil-agent.
std::vector<int> agent_children(int parent);

/// The system trust store the agent's TLS client trusts besides the pinned
/// CA (SPEC §11): the system CA file on POSIX, the ROOT certificate store on
/// Windows. The real system's even under a test root.
certificate_fact system_trust_fact();

/// Every certificate in a PEM file (health_gather.cpp): count, first subject
/// when `pinned`, earliest expiry.
certificate_fact read_pem_certificates(const std::filesystem::path& file, std::string name,
                                       bool pinned);

} // namespace vigil::health
