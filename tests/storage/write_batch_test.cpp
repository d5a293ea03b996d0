#include "storage/write_batch.hpp"

#include <doctest/doctest.h>

using vigil::write_batch;

TEST_CASE("write_batch: records operations in order, as a comparable value") {
  write_batch b;
  CHECK(b.empty());
  b.put("pending", "k1", "v1");
  b.erase("cursor", "k2");
  b.put("meta", "k3", "");
  REQUIRE(b.size() == 3);
  const auto& ops = b.operations();
  CHECK(ops[0] == write_batch::operation{write_batch::kind::put, "pending", "k1", "v1"});
  CHECK(ops[1] == write_batch::operation{write_batch::kind::erase, "cursor", "k2", ""});
  CHECK(ops[2].what == write_batch::kind::put);
  write_batch copy = b;
  CHECK(copy == b);
  copy.erase("meta", "k3");
  CHECK_FALSE(copy == b);
  b.clear();
  CHECK(b.empty());
  CHECK(b == write_batch{});
}
