#include "tests/wine/wine_prefix.hpp"

#include <cstdlib>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <sstream>
#include <stdexcept>

#include <doctest/doctest.h>

#include "tests/support/wait.hpp"

namespace fs = std::filesystem;

namespace vigil::test {

namespace {

std::string without_carriage_returns(std::string text) {
  std::erase(text, '\r');
  return text;
}

} // namespace

fs::path wine_program() {
  // Debian's wine64 package keeps its loader out of PATH (cmake/wine-run.sh).
  for (const char* candidate : {"/usr/bin/wine64", "/usr/lib/wine/wine64"})
    if (fs::exists(candidate))
      return candidate;
  return {};
}

wine_prefix::wine_prefix(fs::path dir, const std::vector<std::string>& keepalive)
  : dir_{std::move(dir)}, keepalive_argv_{keepalive} {
  if (wine_program().empty())
    throw std::runtime_error("Wine is not installed (scripts/install-deps.sh installs it)");
  fs::create_directories(dir_);
  auto booted = test::run({wine_program().string(), "wineboot", "--init"}, environment());
  if (booted.exit_code != 0)
    throw std::runtime_error("wineboot --init failed: " + booted.err);
  start_keepalive();
}

wine_prefix::wine_prefix(fs::path dir, const std::vector<std::string>& keepalive,
                         const wine_prefix& original,
                         const std::function<void(const fs::path& dir)>& prepare)
  : dir_{std::move(dir)}, keepalive_argv_{keepalive} {
  // dosdevices holds symbolic links (c: -> ../drive_c, z: -> /): copied as links.
  fs::copy(original.dir_, dir_, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  if (prepare)
    prepare(dir_);
  start_keepalive();
}

void wine_prefix::start_keepalive() {
  keepalive_ = start(keepalive_argv_);
  if (!wait_until([&] { return !keepalive_->exited(); }, std::chrono::seconds{5}))
    throw std::runtime_error("the prefix's keep-alive process did not start");
}

void wine_prefix::shut_down() {
  auto server = wine_program().parent_path() / "wineserver";
  if (!fs::exists(server))
    server = "/usr/lib/wine/wineserver";
  // This prefix's server only: WINEPREFIX names it. -w waits for it to end
  // (and to have saved the registry).
  test::run({server.string(), "-k"}, environment());
  test::run({server.string(), "-w"}, environment());
  if (keepalive_)
    keepalive_->wait();
  keepalive_.reset();
}

void wine_prefix::start_up() { start_keepalive(); }

wine_prefix::~wine_prefix() {
  shut_down();
}

int wine_prefix::kill_program(const std::string& program) const {
  int killed = 0;
  const std::string prefix_entry = "WINEPREFIX=" + dir_.string();
  std::error_code ec;
  for (auto& entry : fs::directory_iterator{"/proc", ec}) {
    auto name = entry.path().filename().string();
    pid_t pid = 0;
    auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (error != std::errc{} || end != name.data() + name.size())
      continue; // not a process

    auto cmdline = test::read_file(entry.path() / "cmdline");
    if (cmdline.find(program) == std::string::npos)
      continue;
    auto environ = test::read_file(entry.path() / "environ");
    std::replace(environ.begin(), environ.end(), '\0', '\n');
    if (("\n" + environ + "\n").find("\n" + prefix_entry + "\n") == std::string::npos)
      continue;
    if (::kill(pid, SIGKILL) == 0)
      ++killed;
  }
  return killed;
}

std::vector<std::string> wine_prefix::environment() const {
  // VIGIL_WINEDEBUG: Wine's debug channels for the programs under test
  // (e.g. "warn+heap" to find heap corruption); quiet by default.
  const char* channels = std::getenv("VIGIL_WINEDEBUG");
  return {"WINEPREFIX=" + dir_.string(), std::string{"WINEDEBUG="} + (channels ? channels : "-all"),
          // No Mono or Gecko: nothing here is .NET or HTML, and their install
          // dialogs would wait for a display.
          "WINEDLLOVERRIDES=mscoree,mshtml=", "DISPLAY="};
}

process_result wine_prefix::run(const std::vector<std::string>& argv) const {
  std::vector<std::string> full{wine_program().string()};
  full.insert(full.end(), argv.begin(), argv.end());
  // Until the program exits: Wine's system processes (services.exe, rpcss)
  // that it starts on demand inherit its output and keep it open.
  auto result = test::run(full, environment(), std::nullopt, run_until::exited);
  result.out = without_carriage_returns(std::move(result.out));
  result.err = without_carriage_returns(std::move(result.err));
  return result;
}

std::unique_ptr<child_process> wine_prefix::start(const std::vector<std::string>& argv,
                                                  const fs::path& log_file) const {
  std::vector<std::string> full{wine_program().string()};
  full.insert(full.end(), argv.begin(), argv.end());
  return std::make_unique<child_process>(full, log_file, environment());
}

int wine_prefix::reg_add(const std::string& key, const std::string& name, const std::string& type,
                         const std::string& data) const {
  return run({"reg", "add", key, "/v", name, "/t", type, "/d", data, "/f"}).exit_code;
}

std::optional<std::string> wine_prefix::reg_query(const std::string& key,
                                                  const std::string& name) const {
  auto r = run({"reg", "query", key, "/v", name});
  if (r.exit_code != 0)
    return std::nullopt;
  // "    NAME    REG_SZ    DATA"
  std::istringstream lines{r.out};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words{line};
    std::string value_name, type;
    if (!(words >> value_name >> type) || value_name != name || type.rfind("REG_", 0) != 0)
      continue;
    std::string data;
    std::getline(words >> std::ws, data);
    return data;
  }
  return std::nullopt;
}

std::vector<std::string> keepalive_program() {
  return {(windows_build_dir() / "tests/helpers/host_windows_child.exe").string(), "sleep",
          "86400000"};
}

fs::path windows_build_dir() {
  const char* dir = std::getenv("VIGIL_WINDOWS_BUILD_DIR");
  REQUIRE_MESSAGE(dir, "VIGIL_WINDOWS_BUILD_DIR names the Windows build (scripts/build-windows.sh)");
  REQUIRE(fs::exists(fs::path{dir} / "bin/vigil-agent.exe"));
  return dir;
}

} // namespace vigil::test
