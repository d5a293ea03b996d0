#include "scan/snapshot.hpp"

#include <doctest/doctest.h>

using namespace vigil::scan;

TEST_CASE("snapshot: finalize sorts by key and keeps the last row of a key") {
  snapshot rows{{"b", "1"}, {"a", "first"}, {"c", "3"}, {"a", "second"}, {"a", "third"}};
  finalize(rows);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == snapshot_row{"a", "third"});
  CHECK(rows[1].key == "b");
  CHECK(rows[2].key == "c");
}

TEST_CASE("snapshot: canonical_json sorts members, is compact and survives bad UTF-8") {
  nlohmann::json a;
  a["zeta"] = 1;
  a["alpha"] = {{"y", true}, {"x", "s"}};
  CHECK(canonical_json(a) == R"({"alpha":{"x":"s","y":true},"zeta":1})");
  // Bytes read from a file need not be UTF-8: they are replaced, not thrown on.
  nlohmann::json bad{{"output", std::string{"ok\xff\xfe"}}};
  auto text = canonical_json(bad);
  CHECK(text == "{\"output\":\"ok\xEF\xBF\xBD\xEF\xBF\xBD\"}");
  CHECK(canonical_json(bad) == text);
}
