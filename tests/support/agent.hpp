#pragma once

// The real vigil-agent in a test root: the root prepared as setup leaves it,
// the agent started in the foreground, and what it and the platform hold.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "tests/support/platform.hpp"
#include "tests/support/process.hpp"

namespace vigil::test {

/// The agent's hive key as vigil-reg names it.
inline const std::string agent_reg_path = "HKLM\\SOFTWARE\\Vigil\\VigilAgent";

/// 32 random hex digits and a newline: an /etc/machine-id of its own.
std::string random_machine_id();

/// A root set up as setup leaves it: CustomerId, ActivationId, WebServiceUri
/// in the hive (written with the real vigil-reg), a machine-id, the CA bundle.
void prepare_root(const std::filesystem::path& root, const platform_process& platform,
                  const std::pair<std::string, std::string>& ids);

/// The HostID in the root's hive, or empty.
std::string host_id_of(const std::filesystem::path& root);

/// `vigil-platform assets --json` (an empty array when it fails).
nlohmann::json assets(const platform_process& platform);

/// `vigil-agent --root ROOT --foreground`, output in `ROOT.agent.out`.
std::unique_ptr<child_process> start_agent(const std::filesystem::path& root);

/// `vigil-reg add` of a value under the agent key (`subkey` may be empty);
/// `type` as reg.exe names it. Returns the exit code.
int reg_add(const std::filesystem::path& root, const std::string& subkey, const std::string& name,
            const std::string& type, const std::string& data);

/// The `ScanOnDemand` value of `module`, if any.
std::optional<uint64_t> on_demand_value(const std::filesystem::path& root,
                                        const std::string& module);

/// One module's rows: key -> value.
using row_map = std::map<std::string, std::string>;

/// The rows of the module's latest snapshot file (empty when there is none).
row_map snapshot_rows(const std::filesystem::path& root, const std::string& module);

/// The rows the platform holds for the host's module (`vigil-platform rows`).
row_map platform_rows(const platform_process& platform, const std::string& host_id,
                      const std::string& module);

/// Runs `vigil-platform profile set --activation ACTIVATION assignments...`;
/// returns the exit code.
int set_profile(const platform_process& platform, const std::string& activation_id,
                const std::vector<std::string>& assignments);

/// Whether `platform`'s `assets` lists the host `host_id`.
bool listed(const platform_process& platform, const std::string& host_id);

/// The agent's (supervisor's) pid from `root`'s pidfile when it runs, else 0.
int running_agent_pid(const std::filesystem::path& root);

/// SIGTERM to the agent of `root`, and waits (up to 10 s) until it is gone.
/// A test's teardown: whatever still runs for `root` then (an agent that
/// ignores SIGTERM under self-protection, its supervisor) is SIGKILLed, so
/// no agent outlives its test and its temporary directory.
void stop_agent(const std::filesystem::path& root);

/// The processes running program `name` (argv[0]'s file name; empty: any)
/// for `root` (named in their command line): the agent's supervisor and
/// worker, or vigil-setup and its watcher. Zombies (empty command line) are
/// left out.
std::vector<int> processes_of(const std::string& name, const std::filesystem::path& root);

/// The processes whose /proc directory satisfies `match` (it may fail to
/// read a process that ends meanwhile, and should then say false).
std::vector<int> processes_matching(const std::function<bool(const std::filesystem::path&)>& match);

/// Installs the build's vigil-setup into `root` for the customer `ids` of
/// `platform`, as an administrator would: a machine-id of its own, the
/// platform's CA (`CaBundle=`) and root key (`TrustKey=`, or `trust_key`: a
/// file or the key text) pinned; `web_service_uri` instead of the platform's
/// own (a relay in front of it). Throws with setup's stderr when it fails.
void install_agent(const std::filesystem::path& root, const platform_process& platform,
                   const std::pair<std::string, std::string>& ids,
                   const std::string& trust_key = {}, const std::string& web_service_uri = {});

/// A vigil-setup carrying the build's payload with another VERSION, written
/// in `dir` (about the size of the build's: stripped setup program, zstd
/// payload); with `agent_script`, its bin/vigil-agent is that script instead
/// (a version that exits at start, or never checks in). Throws on failure.
std::filesystem::path setup_of_version(const std::filesystem::path& dir, const std::string& version,
                                       const std::string& agent_script = {});

} // namespace vigil::test
