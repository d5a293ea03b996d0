#include "protocol/json_reader.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"

using namespace vigil;
using namespace vigil::protocol;

namespace {

std::string context_after(const json_reader& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(code_of(r.error()) == ec::protocol_error);
  return context_of(r.error());
}

} // namespace

TEST_CASE("json_reader: integers are range-checked and floats refused") {
  auto json = nlohmann::json{{"big", 1ll << 40}, {"neg", -3}, {"frac", 2.5}, {"ok", 7}};
  {
    json_reader r{json, "m"};
    int out = 0;
    CHECK(r.required("ok", out));
    CHECK(out == 7);
    CHECK_FALSE(r.required("big", out));
    CHECK(context_after(r) == "m.big: out of range: 1099511627776");
  }
  {
    json_reader r{json, "m"};
    uint64_t out = 0;
    CHECK_FALSE(r.required("neg", out));
    CHECK(context_after(r) == "m.neg: expected a non-negative integer, got -3");
  }
  {
    json_reader r{json, "m"};
    int64_t out = 0;
    CHECK_FALSE(r.required("frac", out));
    CHECK(context_after(r) == "m.frac: expected an integer, got float");
  }
  {
    auto huge = nlohmann::json{{"huge", std::numeric_limits<uint64_t>::max()}};
    json_reader r{huge, "m"};
    int64_t out = 0;
    CHECK_FALSE(r.required("huge", out));
    CHECK(context_after(r) == "m.huge: out of range: 18446744073709551615");
  }
}

TEST_CASE("json_reader: null is absent for optional reads and mistyped for required ones") {
  auto json = nlohmann::json{{"gone", nullptr}};
  json_reader r{json, "m"};
  std::string out = "kept";
  CHECK_FALSE(r.optional("gone", out));
  CHECK_FALSE(r.optional("absent", out));
  CHECK(out == "kept");
  CHECK(r.ok());
  CHECK_FALSE(r.has("gone"));
  CHECK(r.find("gone") != nullptr);
  CHECK_FALSE(r.required("gone", out));
  CHECK(context_after(r) == "m.gone: expected a string, got null");
}

TEST_CASE("json_reader: the first error wins and later reads do nothing") {
  auto json = nlohmann::json{{"a", 1}, {"b", "x"}};
  json_reader r{json, "m"};
  std::string s;
  CHECK_FALSE(r.required("a", s));
  CHECK(r.required("b", s) == false);
  CHECK(s.empty());
  CHECK(context_after(r) == "m.a: expected a string, got integer");
}

TEST_CASE("json_reader: nested errors carry the full path") {
  auto json = nlohmann::json::parse(R"({"outer": {"list": [{"v": 1}, {"v": "two"}]}})");
  json_reader r{json, "doc"};
  std::vector<int> values;
  r.object("outer", [&](json_reader& outer) {
    outer.objects("list", [&](json_reader& item, size_t) {
      int v = 0;
      if (item.required("v", v))
        values.push_back(v);
    });
  });
  CHECK(values == std::vector<int>{1});
  CHECK(context_after(r) == "doc.outer.list[1].v: expected an integer, got string");
}

TEST_CASE("json_reader: a non-object value is named") {
  json_reader r{nlohmann::json::array(), "doc"};
  CHECK(context_after(r) == "doc: expected an object, got array");
}

TEST_CASE("quoted: escapes and cuts hostile values") {
  CHECK(quoted_value("a\"b\\c") == R"("a\"b\\c")");
  CHECK(quoted_value("line\nbreak") == R"("line\x0abreak")");
  CHECK(quoted_value(std::string(100, 'x')) == "\"" + std::string(64, 'x') + "...\"");
}
