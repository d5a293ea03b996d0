#include "protocol/body.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "protocol/status.hpp"
#include "tests/protocol/message_check.hpp"

using namespace vigil;
using namespace vigil::protocol;

namespace {

std::string error_context(std::string_view body) {
  auto parsed = parse_body<status_response>(body);
  REQUIRE_FALSE(parsed);
  CHECK(code_of(parsed.error()) == ec::protocol_error);
  return context_of(parsed.error());
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

} // namespace

TEST_CASE("status_response: generic message checks") {
  test::check_message(status_response{"ok", 1, "0.1.0", 1732530000}, {});
}

TEST_CASE("status_response: protocol must be at least 1") {
  auto parsed = from_json<status_response>(
    nlohmann::json{{"status", "ok"}, {"protocol", 0}, {"version", "x"}, {"time", 0}});
  REQUIRE_FALSE(parsed);
  CHECK(context_of(parsed.error()) == "status_response.protocol: must be at least 1");
}

TEST_CASE("parse_body: non-JSON, truncated and empty bodies are named errors") {
  auto body = to_body(status_response{"ok", 1, "0.1.0", 5});
  CHECK(starts_with(error_context("hello"), "status_response: not JSON: "));
  CHECK(starts_with(error_context(body.substr(0, body.size() / 2)), "status_response: not JSON: "));
  CHECK(starts_with(error_context(body.substr(0, body.size() - 1)), "status_response: not JSON: "));
  CHECK(error_context("") == "status_response: not JSON: empty body");
  CHECK(starts_with(error_context(body + " trailing"), "status_response: not JSON: "));
  CHECK(starts_with(error_context("{\"status\": \"ok\" /* comment */}"),
                    "status_response: not JSON: "));
  CHECK(starts_with(error_context("{\"status\": \"\xff\"}"), "status_response: not JSON: "));
}

TEST_CASE("parse_body: JSON of the wrong top-level type is named") {
  CHECK(error_context("[1,2]") == "status_response: expected an object, got array");
  CHECK(error_context("\"ok\"") == "status_response: expected an object, got string");
  CHECK(error_context("null") == "status_response: expected an object, got null");
  CHECK(error_context("7") == "status_response: expected an object, got integer");
}

TEST_CASE("parse_body: deep nesting and oversized bodies are refused before parsing") {
  std::string deep = "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(error_context(deep) == "status_response: nested deeper than 64 levels");
  // Brackets inside strings do not count.
  auto fine = to_json(status_response{"ok", 1, std::string(200, '['), 5});
  CHECK(parse_body<status_response>(dump_json(fine)));
  std::string huge = "{\"pad\":\"" + std::string(max_json_body_bytes, 'a') + "\"}";
  CHECK(starts_with(error_context(huge), "status_response: too large: "));
}

TEST_CASE("dump_json replaces invalid UTF-8 instead of throwing") {
  auto text = dump_json(nlohmann::json{{"s", "a\xff" "b"}});
  CHECK(text == "{\"s\":\"a\xef\xbf\xbd" "b\"}");
}
