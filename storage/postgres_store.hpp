#pragma once

#include <caf/expected.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/kv_store.hpp"
#include "storage/lock_space.hpp"

// The platform's store for fleets that outgrow one machine (issue 18): several
// platform instances share one PostgreSQL database, an engine their operators
// already run, replicate and back up. The agent never links it (libpq stays out
// of the agent's footprint): it is its own library, vigil_storage_postgres.

namespace vigil {

/// Whether `text` names a PostgreSQL database: a `postgresql://` or
/// `postgres://` URI (libpq's connection URI).
bool is_postgres_url(std::string_view text) noexcept;

/// Opens the kv_store kept in the PostgreSQL database at `url` (a libpq
/// connection URI, e.g. `postgresql://vigil@127.0.0.1:5432/vigil` or
/// `postgresql:///vigil?host=/run/postgresql`), serving `columns`.
///
/// Layout: one table, `vigil_kv (col text, k bytea, v bytea)`, primary key
/// `(col, k)`: bytea orders bytewise, as RocksDB's default comparator does, so
/// scans visit keys in the same order on both stores. The schema is versioned
/// (`vigil_schema`); missing migrations are applied at open, in one
/// transaction, under an advisory lock, so instances starting together
/// migrate once. A database written by a newer Vigil (a schema version this
/// build does not know) is refused with `ec::invalid_argument`.
///
/// Promises (kv_store's, across every process using the database):
/// - `write` is one transaction: all of a batch or none of it;
/// - `scan` reads one REPEATABLE READ snapshot, paged by key, so a long scan
///   holds no lock and sees no write made after it began;
/// - `write_options::sync`: synchronous_commit on for that write (the commit
///   is on the server's disk, and on its synchronous standbys, before the call
///   returns); without it, off (the commit survives the platform process, not
///   always a crash of the database server: RocksDB's contract without sync).
///
/// Thread-safe: every call takes a connection from a pool (opened on demand,
/// at most `idle_connections` kept open while idle). A connection the server
/// dropped is discarded, so the next call reconnects; errors are
/// `ec::storage_error` with PostgreSQL's message, never the password.
caf::expected<std::unique_ptr<kv_store>>
open_postgres_store(const std::string& url, const std::vector<std::string>& columns,
                    size_t idle_connections = 8);

/// The lock space of the PostgreSQL database at `url`: PostgreSQL's advisory
/// locks (`pg_advisory_lock` / `pg_advisory_lock_shared`), each held on a
/// connection of its own for as long as the lock, so a platform instance that
/// dies (SIGKILL, a lost machine) releases every lock it held the moment the
/// server sees its connections close. Connections are pooled like the store's.
caf::expected<std::unique_ptr<lock_space>> open_postgres_lock_space(const std::string& url,
                                                                    size_t idle_connections = 8);

} // namespace vigil
