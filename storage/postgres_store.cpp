#include "storage/postgres_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "common/error.hpp"

// libpq rather than libpqxx: the store needs bytea parameters and results in
// binary form, prepared statements and a connection pool, all a few calls of
// libpq's C API, with errors turned into Vigil's errors where they happen
// instead of translated from exceptions.

namespace vigil {

namespace {

/// Object IDs of the parameter types (PostgreSQL's pg_type.dat).
constexpr Oid text_oid = 25;
constexpr Oid bytea_oid = 17;

/// Entries a scan fetches per round trip.
constexpr int scan_page = 512;

/// The advisory lock under which instances migrate the schema ("Vigil\0\0\1").
constexpr long long migration_lock = 0x566967696c000001LL;

/// The schema, one entry per version, applied in order; never edit an entry
/// once released: add one.
constexpr std::array<std::string_view, 1> migrations{
  // 1: the columns of every kv_store in one table.
  "CREATE TABLE vigil_kv (col text NOT NULL, k bytea NOT NULL, v bytea NOT NULL,"
  " PRIMARY KEY (col, k))",
};

/// The statements every connection prepares: name, SQL, parameter types.
struct statement {
  const char* name;
  std::string sql;
  std::vector<Oid> types;
};

const std::vector<statement>& statements() {
  static const std::vector<statement> all{
    {"get", "SELECT v FROM vigil_kv WHERE col = $1 AND k = $2", {text_oid, bytea_oid}},
    {"put",
     "INSERT INTO vigil_kv (col, k, v) VALUES ($1, $2, $3)"
     " ON CONFLICT (col, k) DO UPDATE SET v = EXCLUDED.v",
     {text_oid, bytea_oid, bytea_oid}},
    {"erase", "DELETE FROM vigil_kv WHERE col = $1 AND k = $2", {text_oid, bytea_oid}},
    {"page",
     "SELECT k, v FROM vigil_kv WHERE col = $1 AND k >= $2 ORDER BY k LIMIT "
       + std::to_string(scan_page),
     {text_oid, bytea_oid}},
    {"page_below",
     "SELECT k, v FROM vigil_kv WHERE col = $1 AND k >= $2 AND k < $3 ORDER BY k LIMIT "
       + std::to_string(scan_page),
     {text_oid, bytea_oid, bytea_oid}},
  };
  return all;
}

struct result_free {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_free>;

/// PostgreSQL's message, without its trailing line break.
std::string message_of(const char* text) {
  std::string out = text ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out.empty() ? "no message" : out;
}

/// The least key greater than every key starting with `prefix`, or nothing
/// when there is none (an empty prefix, or one of 0xff bytes only).
std::optional<std::string> prefix_end(std::string_view prefix) {
  std::string end{prefix};
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff)
    end.pop_back();
  if (end.empty())
    return std::nullopt;
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

/// One connection with the statements prepared.
class connection {
public:
  explicit connection(PGconn* c) : conn_{c} {}
  ~connection() { PQfinish(conn_); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  PGconn* get() const noexcept { return conn_; }

  /// Whether the server still talks to us and no transaction is left open.
  bool reusable() const noexcept {
    return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

  /// Whether the connection broke (as opposed to a statement failing).
  bool broken() const noexcept { return PQstatus(conn_) != CONNECTION_OK; }

  /// Runs a statement without parameters (BEGIN, COMMIT, SET...).
  caf::expected<void> run(const char* sql, std::string_view what) {
    result_ptr r{PQexec(conn_, sql)};
    return check(r, what, PGRES_COMMAND_OK);
  }

  /// Runs prepared statement `name` with binary parameters and results.
  caf::expected<result_ptr> prepared(const char* name, std::initializer_list<std::string_view> args,
                                     std::string_view what, ExecStatusType expected) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats(args.size(), 1);
    for (auto& a : args) {
      // libpq reads `length` bytes of a binary parameter; a null pointer would
      // mean SQL NULL, so an empty value points at a valid empty string.
      values.push_back(a.empty() ? "" : a.data());
      lengths.push_back(static_cast<int>(a.size()));
    }
    result_ptr r{PQexecPrepared(conn_, name, static_cast<int>(args.size()), values.data(),
                                lengths.data(), formats.data(), 1)};
    if (auto ok = check(r, what, expected); !ok)
      return ok.error();
    return r;
  }

  /// An error naming `what` when `r` is not `expected`.
  caf::expected<void> check(const result_ptr& r, std::string_view what,
                            ExecStatusType expected) const {
    if (r && PQresultStatus(r.get()) == expected)
      return {};
    auto msg = r ? message_of(PQresultErrorMessage(r.get())) : message_of(PQerrorMessage(conn_));
    return make_error(ec::storage_error, "PostgreSQL store: " + std::string{what} + ": " + msg);
  }

private:
  PGconn* conn_;
};

/// Connections to one database: opened on demand, at most `idle_max` kept
/// while idle, one that broke or holds a transaction never reused.
class connection_pool {
public:
  /// `session` is SQL every new connection runs first (its settings).
  connection_pool(std::string url, size_t idle_max, bool prepare, std::string session = {})
    : url_{std::move(url)}, idle_max_{idle_max}, prepare_{prepare}, session_{std::move(session)} {
  }

  /// A new connection, its session set up and (unless `prepare` is false:
  /// the migration, which may create the tables they name) statements
  /// prepared.
  caf::expected<std::unique_ptr<connection>> connect(bool prepare) {
    auto c = std::make_unique<connection>(PQconnectdb(url_.c_str()));
    if (!c->get() || PQstatus(c->get()) != CONNECTION_OK)
      // libpq's message names the server and the reason, never the password.
      return make_error(ec::storage_error,
                        "PostgreSQL store: cannot connect: "
                          + message_of(c->get() ? PQerrorMessage(c->get()) : "out of memory"));
    // Writes without `sync` survive the platform process, like RocksDB's
    // without it; `sync` writes turn it on for themselves. The server's
    // notices ("already exists, skipping") are not the operator's business:
    // libpq would print them on stderr.
    if (auto ok = c->run("SET synchronous_commit TO off; SET client_min_messages TO warning",
                         "set up the session");
        !ok)
      return ok.error();
    if (!session_.empty())
      if (auto ok = c->run(session_.c_str(), "set up the session"); !ok)
        return ok.error();
    for (auto& s : statements()) {
      if (!prepare)
        break;
      result_ptr r{PQprepare(c->get(), s.name, s.sql.c_str(), static_cast<int>(s.types.size()),
                             s.types.data())};
      if (auto ok = c->check(r, std::string{"prepare "} + s.name, PGRES_COMMAND_OK); !ok)
        return ok.error();
    }
    return c;
  }

  /// A connection from the pool, or a new one.
  caf::expected<std::unique_ptr<connection>> acquire() {
    {
      std::lock_guard guard{mutex_};
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    return connect(prepare_);
  }

  /// Returns a connection to the pool when it can serve the next caller.
  void release(std::unique_ptr<connection> c) {
    if (!c->reusable())
      return;
    std::lock_guard guard{mutex_};
    if (idle_.size() < idle_max_)
      idle_.push_back(std::move(c));
  }

private:
  std::string url_;
  size_t idle_max_;
  bool prepare_;
  std::string session_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<connection>> idle_;
};

class postgres_store final : public kv_store {
public:
  postgres_store(std::string url, const std::vector<std::string>& columns, size_t idle)
    : pool_{std::move(url), idle, true}, columns_{columns.begin(), columns.end()} {
  }

  /// Applies the migrations this database lacks (see the header).
  caf::expected<void> migrate() {
    auto c = pool_.connect(false);
    if (!c)
      return c.error();
    auto& conn = **c;
    if (auto ok = conn.run("BEGIN", "begin the migration"); !ok)
      return ok.error();
    auto fail = [&](caf::error e) -> caf::expected<void> {
      (void) conn.run("ROLLBACK", "roll back the migration");
      return e;
    };
    auto lock = "SELECT pg_advisory_xact_lock(" + std::to_string(migration_lock) + ")";
    result_ptr locked{PQexec(conn.get(), lock.c_str())};
    if (auto ok = conn.check(locked, "lock the schema", PGRES_TUPLES_OK); !ok)
      return fail(ok.error());
    if (auto ok = conn.run("CREATE TABLE IF NOT EXISTS vigil_schema (version integer NOT NULL)",
                           "create the schema table");
        !ok)
      return fail(ok.error());
    result_ptr current{PQexec(conn.get(), "SELECT coalesce(max(version), 0) FROM vigil_schema")};
    if (auto ok = conn.check(current, "read the schema version", PGRES_TUPLES_OK); !ok)
      return fail(ok.error());
    std::string_view text = PQgetvalue(current.get(), 0, 0);
    size_t version = 0;
    auto [end, failed] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (failed != std::errc{} || end != text.data() + text.size())
      return fail(make_error(ec::corruption, "PostgreSQL store: vigil_schema holds version '"
                                               + std::string{text} + "', not a number"));
    if (version > migrations.size())
      return fail(make_error(ec::invalid_argument,
                             "PostgreSQL store: the database has schema version "
                               + std::to_string(version) + ", newer than this build's "
                               + std::to_string(migrations.size())
                               + ": it was written by a newer Vigil; run that version"));
    for (auto v = version; v < migrations.size(); ++v) {
      std::string sql{migrations[v]};
      if (auto ok = conn.run(sql.c_str(), "apply schema version " + std::to_string(v + 1)); !ok)
        return fail(ok.error());
      auto record = "INSERT INTO vigil_schema (version) VALUES (" + std::to_string(v + 1) + ")";
      if (auto ok = conn.run(record.c_str(), "record the schema version"); !ok)
        return fail(ok.error());
    }
    // The connection lacks the prepared statements: it is not pooled.
    return conn.run("COMMIT", "commit the migration");
  }

private:
  caf::expected<void> known(std::string_view column) const {
    if (columns_.count(std::string{column}) == 0)
      return make_error(ec::invalid_argument,
                        "unknown column '" + std::string{column} + "' in PostgreSQL store");
    return {};
  }

  /// Runs `work` on a pooled connection. A pooled connection may have been
  /// closed by the server since its last use (a restart, an idle timeout):
  /// when `work` fails on one that turns out broken before it changed
  /// anything (`retryable` says so), it runs once more on a new connection.
  template <class Work>
  auto with_connection(Work work) -> decltype(work(std::declval<connection&>(),
                                                   std::declval<bool&>())) {
    for (int attempt = 0;; ++attempt) {
      auto c = pool_.acquire();
      if (!c)
        return c.error();
      bool retryable = false;
      auto result = work(**c, retryable);
      bool broken = (*c)->broken();
      pool_.release(std::move(*c));
      if (result || !broken || !retryable || attempt > 0)
        return result;
    }
  }

  caf::expected<std::optional<std::string>> do_get(std::string_view column,
                                                   std::string_view key) override {
    if (auto ok = known(column); !ok)
      return ok.error();
    return with_connection(
      [&](connection& c, bool& retryable) -> caf::expected<std::optional<std::string>> {
        retryable = true;
        auto r = c.prepared("get", {column, key}, "read from column " + std::string{column},
                            PGRES_TUPLES_OK);
        if (!r)
          return r.error();
        if (PQntuples(r->get()) == 0)
          return std::optional<std::string>{};
        return std::optional<std::string>{
          std::string{PQgetvalue(r->get(), 0, 0),
                      static_cast<size_t>(PQgetlength(r->get(), 0, 0))}};
      });
  }

  caf::expected<void> do_put(std::string_view column, std::string_view key,
                             std::string_view value, write_options options) override {
    write_batch batch;
    batch.put(std::string{column}, std::string{key}, std::string{value});
    return do_write(batch, options);
  }

  caf::expected<void> do_erase(std::string_view column, std::string_view key,
                               write_options options) override {
    write_batch batch;
    batch.erase(std::string{column}, std::string{key});
    return do_write(batch, options);
  }

  caf::expected<void> do_write(const write_batch& batch, write_options options) override {
    for (auto& op : batch.operations())
      if (auto ok = known(op.column); !ok)
        return ok.error();
    if (batch.empty())
      return {};
    return with_connection([&](connection& c, bool& retryable) -> caf::expected<void> {
      // Retried only when the connection was found broken at BEGIN: nothing
      // of the batch can have reached the database then.
      retryable = true;
      if (auto ok = c.run("BEGIN", "begin a write"); !ok)
        return ok.error();
      retryable = false;
      auto fail = [&](caf::error e) -> caf::expected<void> {
        (void) c.run("ROLLBACK", "roll back a write");
        return e;
      };
      if (options.sync)
        if (auto ok = c.run("SET LOCAL synchronous_commit TO on", "ask for a synced write"); !ok)
          return fail(ok.error());
      for (auto& op : batch.operations()) {
        auto r = op.what == write_batch::kind::put
                   ? c.prepared("put", {op.column, op.key, op.value},
                                "write to column " + op.column, PGRES_COMMAND_OK)
                   : c.prepared("erase", {op.column, op.key}, "erase from column " + op.column,
                                PGRES_COMMAND_OK);
        if (!r)
          return fail(r.error());
      }
      return c.run("COMMIT", "commit a write");
    });
  }

  caf::expected<void> do_scan(std::string_view column, scan_range range, std::string_view bound,
                              const scan_callback& f) override {
    if (auto ok = known(column); !ok)
      return ok.error();
    auto end = range == scan_range::with_prefix ? prefix_end(bound) : std::nullopt;
    bool stopped = false;
    bool called = false;
    return with_connection([&](connection& c, bool& retryable) -> caf::expected<void> {
      retryable = !called;
      if (auto ok = c.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin a scan");
          !ok)
        return ok.error();
      auto fail = [&](caf::error e) -> caf::expected<void> {
        (void) c.run("ROLLBACK", "end a scan");
        return e;
      };
      std::string start{bound};
      while (!stopped) {
        auto what = "scan column " + std::string{column};
        auto page = end ? c.prepared("page_below", {column, start, *end}, what, PGRES_TUPLES_OK)
                        : c.prepared("page", {column, start}, what, PGRES_TUPLES_OK);
        if (!page)
          return fail(page.error());
        auto* r = page->get();
        int n = PQntuples(r);
        for (int i = 0; i < n && !stopped; ++i) {
          std::string_view k{PQgetvalue(r, i, 0), static_cast<size_t>(PQgetlength(r, i, 0))};
          std::string_view v{PQgetvalue(r, i, 1), static_cast<size_t>(PQgetlength(r, i, 1))};
          if (range == scan_range::with_prefix && !k.starts_with(bound)) {
            stopped = true; // only past the end for an all-0xff prefix
            break;
          }
          called = true;
          stopped = !f(k, v);
        }
        if (n < scan_page)
          break;
        // The least key after the page's last one, in bytewise order.
        start.assign(PQgetvalue(r, n - 1, 0), static_cast<size_t>(PQgetlength(r, n - 1, 0)));
        start.push_back('\0');
      }
      return c.run("COMMIT", "end a scan");
    });
  }

  connection_pool pool_;
  std::set<std::string, std::less<>> columns_;
};

/// An advisory lock held on a connection of its own.
class postgres_held_lock final : public held_lock {
public:
  postgres_held_lock(connection_pool& pool, std::unique_ptr<connection> c, int64_t key,
                     lock_mode mode)
    : pool_{pool}, conn_{std::move(c)}, key_{key}, mode_{mode} {
  }

  ~postgres_held_lock() override {
    auto sql = std::string{mode_ == lock_mode::shared ? "SELECT pg_advisory_unlock_shared("
                                                      : "SELECT pg_advisory_unlock("}
               + std::to_string(key_) + ")";
    result_ptr r{PQexec(conn_->get(), sql.c_str())};
    // Unlocked, or the connection broke (the server released the lock with
    // it): either way the pool decides whether it can serve again.
    if (r && PQresultStatus(r.get()) == PGRES_TUPLES_OK)
      pool_.release(std::move(conn_));
  }

private:
  connection_pool& pool_;
  std::unique_ptr<connection> conn_;
  int64_t key_;
  lock_mode mode_;
};

class postgres_lock_space final : public lock_space {
public:
  // A holder that never lets go (a stuck instance) fails a waiter after a
  // while instead of blocking a request forever: advisory locks obey
  // lock_timeout.
  postgres_lock_space(std::string url, size_t idle)
    : pool_{std::move(url), idle, false, "SET lock_timeout TO '60s'"} {
  }

  caf::expected<std::unique_ptr<held_lock>> hold(int64_t key, lock_mode mode) override {
    auto sql = std::string{mode == lock_mode::shared ? "SELECT pg_advisory_lock_shared("
                                                     : "SELECT pg_advisory_lock("}
               + std::to_string(key) + ")";
    // A pooled connection the server closed meanwhile fails at once: one
    // more try on a new connection.
    for (int attempt = 0;; ++attempt) {
      auto c = pool_.acquire();
      if (!c)
        return c.error();
      result_ptr r{PQexec((*c)->get(), sql.c_str())};
      if (r && PQresultStatus(r.get()) == PGRES_TUPLES_OK)
        return std::unique_ptr<held_lock>{
          std::make_unique<postgres_held_lock>(pool_, std::move(*c), key, mode)};
      auto failed = (*c)->check(r, "take lock " + std::to_string(key), PGRES_TUPLES_OK);
      if (!(*c)->broken() || attempt > 0)
        return failed.error();
    }
  }

  /// Connects once (the connection then waits in the pool), so a wrong URL
  /// is an error at start rather than at the first request.
  caf::expected<void> check_connection() {
    auto c = pool_.acquire();
    if (!c)
      return c.error();
    pool_.release(std::move(*c));
    return {};
  }

private:
  connection_pool pool_;
};

} // namespace

bool is_postgres_url(std::string_view text) noexcept {
  return text.starts_with("postgresql://") || text.starts_with("postgres://");
}

caf::expected<std::unique_ptr<kv_store>>
open_postgres_store(const std::string& url, const std::vector<std::string>& columns,
                    size_t idle_connections) {
  if (!is_postgres_url(url))
    return make_error(ec::invalid_argument,
                      "a PostgreSQL store is named by a postgresql:// URL");
  auto store = std::make_unique<postgres_store>(url, columns, std::max<size_t>(idle_connections, 1));
  if (auto ok = store->migrate(); !ok)
    return ok.error();
  return std::unique_ptr<kv_store>{std::move(store)};
}

caf::expected<std::unique_ptr<lock_space>> open_postgres_lock_space(const std::string& url,
                                                                    size_t idle_connections) {
  if (!is_postgres_url(url))
    return make_error(ec::invalid_argument,
                      "a PostgreSQL lock space is named by a postgresql:// URL");
  auto space = std::make_unique<postgres_lock_space>(url, std::max<size_t>(idle_connections, 1));
  if (auto ok = space->check_connection(); !ok)
    return ok.error();
  return std::unique_ptr<lock_space>{std::move(space)};
}

} // namespace vigil
