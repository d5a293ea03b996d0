#include "storage/memory_store.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"

using namespace vigil;

// The behaviour both backends share is in kv_store_test.cpp; these are the
// memory store's own promises.

TEST_CASE("memory_store: serves exactly the columns it was given") {
  memory_store store{{"platform", "hosts"}};
  CHECK(store.put("platform", "k", "v"));
  CHECK(store.put("hosts", "k", "v"));
  auto res = store.get("baseline", "k");
  REQUIRE_FALSE(res);
  CHECK(code_of(res.error()) == ec::invalid_argument);
}

TEST_CASE("memory_store: instances do not share state") {
  memory_store a{agent_columns()};
  memory_store b{agent_columns()};
  REQUIRE(a.put("meta", "k", "v"));
  auto in_b = b.get("meta", "k");
  REQUIRE(in_b);
  CHECK_FALSE(in_b->has_value());
}
