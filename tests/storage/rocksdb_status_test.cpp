#include "storage/rocksdb_status.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"

using namespace vigil;

TEST_CASE("rocksdb status: each kind converts to its Vigil code, naming the cause") {
  struct row {
    rocksdb::Status status;
    ec expected;
  };
  const row rows[] = {
    {rocksdb::Status::NoSpace("write", "No space left on device"), ec::disk_full},
    {rocksdb::Status::Corruption("bad block"), ec::corruption},
    {rocksdb::Status::IOError("read", "Input/output error"), ec::io_error},
    {rocksdb::Status::PathNotFound("gone"), ec::io_error},
    {rocksdb::Status::Busy("conflict"), ec::busy},
    {rocksdb::Status::TryAgain("later"), ec::busy},
    {rocksdb::Status::TimedOut("lock"), ec::busy},
    {rocksdb::Status::InvalidArgument("bad option"), ec::storage_error},
    {rocksdb::Status::NotSupported("feature"), ec::storage_error},
  };
  for (const auto& [status, expected] : rows) {
    auto err = from_rocksdb(status, "put in column 'pending'", "/var/store");
    CHECK_MESSAGE(code_of(err) == expected, render(err));
    auto ctx = context_of(err);
    CHECK(ctx.find("put in column 'pending'") != std::string::npos);
    CHECK(ctx.find("/var/store") != std::string::npos);
    CHECK_MESSAGE(ctx.find(status.ToString()) != std::string::npos, ctx);
  }
}
