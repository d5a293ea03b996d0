#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/process.hpp"

namespace vigil::test {

/// A real PostgreSQL 15 server (Debian's), private to one test: a cluster
/// made by initdb in a directory of the test, listening on a Unix socket in
/// that directory only (no TCP port, nothing another process could reach by
/// accident), trust authentication for its superuser `vigil`, and a database
/// `vigil`. The server runs as the `postgres` user (it refuses root); it is
/// stopped (SIGKILL, then its files removed with the directory) on destruction.
class postgres_server {
public:
  /// Makes the cluster in a new directory /tmp/vigil-pg-XXXXXX (owned by
  /// `postgres`, who must reach it: a test's own 0700 directory would not do;
  /// short, as a socket's path must be) and starts the server, waiting with a
  /// deadline until it accepts connections.
  postgres_server();
  ~postgres_server();
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  /// `postgresql:///DATABASE?host=SOCKET-DIR&user=vigil`.
  std::string url(const std::string& database = "vigil") const;

  /// Runs `sql` with psql on database `vigil`; returns its output, or throws.
  std::string psql(const std::string& sql) const;

  /// Kills the server (SIGKILL), like a crash of the database machine.
  void kill();

  /// Starts it again on the same cluster (after `kill`), waiting until it
  /// accepts connections.
  void start();

private:
  std::filesystem::path dir_;
  std::unique_ptr<child_process> server_;
};

} // namespace vigil::test
