#include "tests/support/agent.hpp"

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>
#include <random>
#include <sstream>

#include "host/hive.hpp"
#include "host/hive_file.hpp"
#include "tests/support/temp_dir.hpp"
#include "vigil_test_config.hpp"

namespace vigil::test {

namespace fs = std::filesystem;

std::string random_machine_id() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 32; ++i)
    id += "0123456789abcdef"[rd() % 16];
  return id + "\n";
}

int reg_add(const fs::path& root, const std::string& subkey, const std::string& name,
            const std::string& type, const std::string& data) {
  auto key = subkey.empty() ? agent_reg_path : agent_reg_path + "\\" + subkey;
  return run({program("vigil-reg").string(), "--root", root.string(), "add", key, "/v", name, "/t",
              type, "/d", data, "/f"})
    .exit_code;
}

void prepare_root(const fs::path& root, const platform_process& platform,
                  const std::pair<std::string, std::string>& ids) {
  for (auto& [name, value] : {std::pair{"CustomerId", ids.first}, {"ActivationId", ids.second},
                              {"WebServiceUri", platform.web_service_uri()}})
    if (reg_add(root, "", name, "REG_SZ", value) != 0)
      throw std::runtime_error("vigil-reg add " + std::string{name} + " failed");
  // The platform's root key, as `vigil-setup TrustKey=` pins it.
  auto trust_key = read_file(platform.trust_key_file());
  while (!trust_key.empty() && trust_key.back() == '\n')
    trust_key.pop_back();
  if (reg_add(root, "Trust", "RootKey", "REG_SZ", trust_key) != 0)
    throw std::runtime_error("vigil-reg add Trust\\RootKey failed");
  write_file(root / "etc/machine-id", random_machine_id());
  fs::create_directories(root / "var/opt/vigil/state");
  fs::copy_file(platform.ca_file(), root / "var/opt/vigil/state/ca-bundle.pem",
                fs::copy_options::overwrite_existing);
}

std::string host_id_of(const fs::path& root) {
  auto h = hive_file{root / "etc/opt/vigil/registry.reg"}.load();
  if (!h)
    return {};
  auto* v = h->get(std::string{agent_key}, "HostID");
  return v && v->as_string() ? *v->as_string() : std::string{};
}

nlohmann::json assets(const platform_process& platform) {
  auto r = run({program("vigil-platform").string(), "assets", "--data-dir",
                platform.data_dir().string(), "--json"});
  if (r.exit_code != 0)
    return nlohmann::json::array();
  auto parsed = nlohmann::json::parse(r.out, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json::array() : parsed;
}

std::unique_ptr<child_process> start_agent(const fs::path& root) {
  return std::make_unique<child_process>(
    std::vector<std::string>{program("vigil-agent").string(), "--root", root.string(),
                             "--foreground"},
    root.string() + ".agent.out");
}

std::optional<uint64_t> on_demand_value(const fs::path& root, const std::string& module) {
  auto h = hive_file{root / "etc/opt/vigil/registry.reg"}.load();
  if (!h)
    return std::nullopt;
  auto* v = h->get(std::string{agent_key} + "\\ScanOnDemand\\" + module, "ScanOnDemand");
  return v ? v->as_number() : std::nullopt;
}

row_map snapshot_rows(const fs::path& root, const std::string& module) {
  row_map rows;
  std::error_code ec;
  auto file = root / "var/opt/vigil/state/snapshots" / (module + ".jsonl");
  if (!fs::exists(file, ec))
    return rows;
  std::istringstream lines{read_file(file)};
  for (std::string line; std::getline(lines, line);) {
    auto row = nlohmann::json::parse(line, nullptr, false);
    if (!row.is_discarded())
      rows[row.value("key", "")] = row.value("value", "");
  }
  return rows;
}

row_map platform_rows(const platform_process& platform, const std::string& host_id,
                      const std::string& module) {
  auto r = run({program("vigil-platform").string(), "rows", "--data-dir",
                platform.data_dir().string(), "--host", host_id, "--module", module});
  row_map rows;
  if (r.exit_code != 0)
    return rows;
  auto parsed = nlohmann::json::parse(r.out, nullptr, false);
  if (parsed.is_object())
    for (auto& [key, value] : parsed.items())
      rows[key] = value.get<std::string>();
  return rows;
}

int set_profile(const platform_process& platform, const std::string& activation_id,
                const std::vector<std::string>& assignments) {
  std::vector<std::string> argv{program("vigil-platform").string(), "profile", "set",
                                "--data-dir", platform.data_dir().string(), "--activation",
                                activation_id};
  argv.insert(argv.end(), assignments.begin(), assignments.end());
  return run(argv).exit_code;
}

bool listed(const platform_process& platform, const std::string& host_id) {
  for (auto& h : assets(platform))
    if (h["host_id"] == host_id)
      return true;
  return false;
}

int running_agent_pid(const fs::path& root) {
  auto text = read_file(root / "var/opt/vigil/state/vigil-agent.pid");
  int pid = text.empty() ? 0 : std::stoi(text);
  return pid > 0 && ::kill(pid, 0) == 0 ? pid : 0;
}

void stop_agent(const fs::path& root) {
  if (auto pid = running_agent_pid(root)) {
    ::kill(pid, SIGTERM);
    wait_until([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds{10});
  }
  // Left running, a protected agent outlives the test and reports its
  // deleted files as tampering for ever.
  for (int round = 0; round < 5; ++round) {
    auto left = processes_of("", root);
    if (left.empty())
      break;
    for (auto pid : left)
      ::kill(pid, SIGKILL);
    wait_until([&] { return processes_of("", root).empty(); }, std::chrono::seconds{2});
  }
}

std::vector<int> processes_matching(const std::function<bool(const fs::path&)>& match) {
  std::vector<int> out;
  std::error_code err;
  for (auto& entry : fs::directory_iterator("/proc", err)) {
    auto pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") == std::string::npos && match(entry.path()))
      out.push_back(std::stoi(pid));
  }
  return out;
}

std::vector<int> processes_of(const std::string& name, const fs::path& root) {
  return processes_matching([&](const fs::path& proc) {
    // Read with read(2): a process that ends meanwhile is an error (ESRCH)
    // that would make an istream throw.
    std::string text;
    if (int fd = ::open((proc / "cmdline").c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
      char chunk[4096];
      ssize_t n;
      while ((n = ::read(fd, chunk, sizeof chunk)) > 0)
        text.append(chunk, static_cast<size_t>(n));
      ::close(fd);
    }
    std::vector<std::string> args;
    for (size_t at = 0; at < text.size();) {
      auto end = text.find('\0', at);
      if (end == std::string::npos)
        end = text.size();
      args.push_back(text.substr(at, end - at));
      at = end + 1;
    }
    return !args.empty() && (name.empty() || fs::path{args[0]}.filename() == name)
           && std::find(args.begin(), args.end(), root.string()) != args.end();
  });
}

void install_agent(const fs::path& root, const platform_process& platform,
                   const std::pair<std::string, std::string>& ids, const std::string& trust_key,
                   const std::string& web_service_uri) {
  write_file(root / "etc/machine-id", random_machine_id());
  auto r = run({program("vigil-setup").string(), "--root", root.string(),
                "CustomerId=" + ids.first, "ActivationId=" + ids.second,
                "WebServiceUri=" + (web_service_uri.empty() ? platform.web_service_uri()
                                                            : web_service_uri),
                "CaBundle=" + platform.ca_file().string(),
                "TrustKey=" + (trust_key.empty() ? platform.trust_key_file().string() : trust_key)});
  if (r.exit_code != 0)
    throw std::runtime_error("vigil-setup failed (" + std::to_string(r.exit_code) + "): " + r.err);
}

fs::path setup_of_version(const fs::path& dir, const std::string& version,
                          const std::string& agent_script) {
  auto stage = dir / ("payload-" + version);
  fs::create_directories(stage);
  auto tar = std::string{VIGIL_TEST_BUILD_DIR} + "/payload.tar.xz";
  auto must = [](const process_result& r, const std::string& what) {
    if (r.exit_code != 0)
      throw std::runtime_error(what + " failed: " + r.err);
  };
  must(run({"/usr/bin/tar", "-xf", tar, "-C", stage.string()}), "tar -x");
  write_file(stage / "VERSION", version + "\n");
  if (!agent_script.empty()) {
    write_file(stage / "bin/vigil-agent", agent_script);
    fs::permissions(stage / "bin/vigil-agent", fs::perms::owner_all);
  }
  // zstd: within a few MB of the build's xz payload, in a fraction of a
  // second (the platform serves it, agents download and hash it).
  auto archive = dir / ("payload-" + version + ".tar");
  must(run({"/usr/bin/tar", "--zstd", "-C", stage.string(), "-cf", archive.string(), "."}),
       "tar -c");
  // The setup program as the build packs it: stripped (3.8 MB, not 17).
  auto out = dir / ("vigil-setup-" + version);
  must(run({program("vigil-pack").string(),
            std::string{VIGIL_TEST_BUILD_DIR} + "/vigil-setup-stub.stripped", archive.string(),
            out.string()}),
       "vigil-pack");
  return out;
}

} // namespace vigil::test
