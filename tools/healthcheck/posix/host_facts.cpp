// Checks 3 and 4 on POSIX (host_facts.hpp): processes from /proc, the
// system trust store as Debian's ca-certificates writes it.
#include "tools/healthcheck/host_facts.hpp"

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unistd.h>

#include "host/supervisor.hpp"

namespace vigil::health {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& file) {
  std::ifstream in{file};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

} // namespace

bool runs_vigil_agent(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0)
    return false;
  return read_text("/proc/" + std::to_string(pid) + "/cmdline").find("vigil-agent")
         != std::string::npos;
}

/// CPU time and memory of `pid`, or nothing when it is gone.
std::optional<process_fact> read_process(int pid, std::string role) {
  auto stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream fields{stat.substr(close + 2)};
  std::vector<std::string> f{std::istream_iterator<std::string>{fields},
                             std::istream_iterator<std::string>{}};
  if (f.size() < 13)
    return std::nullopt;
  process_fact out;
  out.pid = pid;
  out.role = std::move(role);
  try {
    auto ticks = std::stoll(f[11]) + std::stoll(f[12]); // utime, stime
    out.cpu_ms = ticks * 1000 / std::max<long>(1, ::sysconf(_SC_CLK_TCK));
    std::istringstream status{read_text("/proc/" + std::to_string(pid) + "/status")};
    for (std::string line; std::getline(status, line);) {
      auto kb = [&] { return std::stoll(line.substr(line.find(':') + 1)) / 1024; };
      if (line.starts_with("VmRSS:"))
        out.rss_mb = kb();
      else if (line.starts_with("VmHWM:"))
        out.peak_rss_mb = kb();
    }
  } catch (const std::exception&) { // the process ended while being read
    return std::nullopt;
  }
  return out;
}

/// The pids whose parent is `parent` and that run vigil-agent.
std::vector<int> agent_children(int parent) {
  std::vector<int> out;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator{"/proc", ec}) {
    auto name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit))
      continue;
    auto stat = read_text(entry.path() / "stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos)
      continue;
    std::istringstream fields{stat.substr(close + 2)};
    std::string state;
    int ppid = 0;
    fields >> state >> ppid;
    int pid = std::stoi(name);
    if (ppid == parent && runs_vigil_agent(pid))
      out.push_back(pid);
  }
  return out;
}

int service_main_pid(const paths& p, const std::string& kind) {
  if (kind != "supervisor")
    return 0;
  return running_pid(p.state_dir() / "vigil-agent.pid", "vigil-agent");
}

certificate_fact system_trust_fact() {
  return read_pem_certificates("/etc/ssl/certs/ca-certificates.crt", "System trust store", false);
}

} // namespace vigil::health
