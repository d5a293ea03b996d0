#include "tests/support/postgres_server.hpp"

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace vigil::test {

namespace {

const fs::path bin_dir = "/usr/lib/postgresql/15/bin";

/// `argv` run as the `postgres` user: setpriv execs in place (no child left
/// behind when the test kills it), and PostgreSQL refuses to run as root.
std::vector<std::string> as_postgres(std::vector<std::string> argv) {
  std::vector<std::string> out{"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
                               "--init-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void must(const process_result& r, const std::string& what) {
  if (r.exit_code != 0)
    throw std::runtime_error("postgres_server: " + what + " failed (exit "
                             + std::to_string(r.exit_code) + "): " + r.out + r.err);
}

/// The processes whose parent is `pid` (/proc/N/stat's fourth field).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code err;
  for (auto& entry : fs::directory_iterator{"/proc", err}) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream stat{entry.path() / "stat"};
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    if (close == std::string::npos)
      continue;
    // ") S PPID ...": state, then the parent.
    char state = 0;
    long parent = 0;
    pid_t child = 0;
    std::from_chars(name.data(), name.data() + name.size(), child); // digits only, checked above
    if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &parent) == 2
        && parent == pid)
      out.push_back(child);
  }
  return out;
}

} // namespace

postgres_server::postgres_server() {
  char name[] = "/tmp/vigil-pg-XXXXXX";
  if (!::mkdtemp(name))
    throw std::runtime_error("postgres_server: mkdtemp failed");
  dir_ = name;
  must(run({"/bin/chown", "postgres:postgres", dir_.string()}), "chown " + dir_.string());
  must(run(as_postgres({(bin_dir / "initdb").string(), "--pgdata=" + (dir_ / "data").string(),
                        "--username=vigil", "--auth=trust", "--encoding=UTF8", "--locale=C",
                        "--no-sync"})),
       "initdb");
  start();
  must(run({(bin_dir / "psql").string(), "-h", dir_.string(), "-U", "vigil", "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-qc", "CREATE DATABASE vigil"}),
       "create database vigil");
}

postgres_server::~postgres_server() {
  kill();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void postgres_server::start() {
  auto ready = [&] {
    return run({(bin_dir / "pg_isready").string(), "-q", "-h", dir_.string(), "-U", "vigil"})
             .exit_code
           == 0;
  };
  // After a kill, the old server's backends notice its death within moments;
  // until they are gone a new server refuses the data directory: try again.
  for (int attempt = 0; attempt < 50; ++attempt) {
    server_ = std::make_unique<child_process>(
      as_postgres({(bin_dir / "postgres").string(), "-D", (dir_ / "data").string(), "-k",
                   dir_.string(), "-c", "listen_addresses=", "-c", "fsync=off"}),
      dir_ / "server.log");
    if (wait_until([&] { return ready() || server_->exited(); }, std::chrono::seconds{30})
        && ready())
      return;
    server_.reset();
    wait_until([] { return false; }, std::chrono::milliseconds{100});
  }
  std::ifstream log{dir_ / "server.log"};
  std::string text{std::istreambuf_iterator<char>{log}, {}};
  throw std::runtime_error("postgres_server: the server did not start: " + text);
}

void postgres_server::kill() {
  if (!server_)
    return;
  // A crash of the whole server: the postmaster and every backend at once.
  auto pid = server_->pid();
  for (auto child : children_of(pid))
    ::kill(child, SIGKILL);
  server_->signal(SIGKILL);
  server_->wait();
  server_.reset();
}

std::string postgres_server::url(const std::string& database) const {
  return "postgresql:///" + database + "?host=" + dir_.string() + "&user=vigil";
}

std::string postgres_server::psql(const std::string& sql) const {
  auto r = run({(bin_dir / "psql").string(), "-h", dir_.string(), "-U", "vigil", "-d", "vigil",
                "-v", "ON_ERROR_STOP=1", "-Atqc", sql});
  must(r, "psql " + sql);
  return r.out;
}

} // namespace vigil::test
