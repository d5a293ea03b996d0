#include "protocol/upload.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "protocol/error_response.hpp"
#include "protocol/sha256.hpp"
#include "protocol/upload_position.hpp"
#include "tests/protocol/message_check.hpp"

using namespace vigil;
using namespace vigil::protocol;

TEST_CASE("upload_status: generic message checks") {
  test::check_message(upload_status{"Vulnerability", 12, 1048576, 12, false}, {});
}

TEST_CASE("upload_complete: generic message checks") {
  test::check_message(upload_complete{4096, sha256_hex("delta")}, {});
}

TEST_CASE("upload_result: generic message checks") {
  test::check_message(upload_result{true, false, 13, 52000}, {});
  test::check_round_trip(upload_result{false, true, 13, 52000});
}

TEST_CASE("error_response: generic message checks") {
  test::check_message(error_response{"seq_gap", "expected seq 4", 4}, {"/expected_seq"});
  test::check_round_trip(error_response{"unauthorized", "bad token", std::nullopt});
}

TEST_CASE("upload messages: value rules are named") {
  auto status = to_json(upload_status{"UDC", 1, 0, 1, false});
  status["seq"] = 0;
  auto s = parse_upload_status(status);
  REQUIRE_FALSE(s);
  CHECK(context_of(s.error()) == "upload_status.seq: must be at least 1");

  auto complete = to_json(upload_complete{1, sha256_hex("x")});
  complete["sha256"] = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  auto c = parse_upload_complete(complete);
  REQUIRE_FALSE(c);
  CHECK(context_of(c.error()).rfind("upload_complete.sha256: not a lowercase hex SHA-256: ", 0)
        == 0);
  complete["sha256"] = sha256_hex("x");
  complete["size"] = -5;
  c = parse_upload_complete(complete);
  REQUIRE_FALSE(c);
  CHECK(context_of(c.error()) == "upload_complete.size: expected a non-negative integer, got -5");

  auto result = to_json(upload_result{true, true, 2, 0});
  auto r = parse_upload_result(result);
  REQUIRE_FALSE(r);
  CHECK(context_of(r.error()) == "upload_result.duplicate: true together with applied");

  auto error = to_json(error_response{"seq_gap", "m", 0});
  auto e = parse_error_response(error);
  REQUIRE_FALSE(e);
  CHECK(context_of(e.error()) == "error_response.expected_seq: must be at least 1");
}

TEST_CASE("error_response: HTTP statuses and Vigil errors") {
  CHECK(http_status_of(error_codes::invalid_request) == 400);
  CHECK(http_status_of(error_codes::unsupported_protocol) == 400);
  CHECK(http_status_of(error_codes::unauthorized) == 401);
  CHECK(http_status_of(error_codes::not_found) == 404);
  CHECK(http_status_of(error_codes::seq_gap) == 409);
  CHECK(http_status_of(error_codes::conflict) == 409);
  CHECK(http_status_of(error_codes::too_large) == 413);
  CHECK(http_status_of(error_codes::internal) == 500);
  CHECK(http_status_of("something_new") == 500);

  auto err = to_error(error_response{"unauthorized", "bad token", std::nullopt}, 401);
  CHECK(code_of(err) == ec::permission_denied);
  CHECK(context_of(err) == "platform 401 unauthorized: bad token");
  CHECK(code_of(to_error({"not_found", "", std::nullopt}, 404)) == ec::not_found);
  CHECK(code_of(to_error({"internal", "", std::nullopt}, 500)) == ec::busy);
  CHECK(code_of(to_error({"whatever", "", std::nullopt}, 503)) == ec::busy);
  CHECK(code_of(to_error({"seq_gap", "", 3}, 409)) == ec::protocol_error);
}

TEST_CASE("upload limits are consistent") {
  CHECK(max_chunk_bytes <= max_delta_bytes);
  CHECK(max_delta_bytes <= max_delta_decompressed_bytes);
}

TEST_CASE("upload position: the status answer's 200 and 409 both say where to go on; other "
          "answers are their errors") {
  auto held = read_upload_position(
    200, R"({"module":"Inventory","seq":7,"received_bytes":4096,"expected_seq":7,"applied":false})");
  REQUIRE(held);
  CHECK(*held == upload_position{7, 4096});
  // The platform applies seq 3 next: nothing of seq 7 is held.
  auto refused = read_upload_position(
    409, R"({"code":"out_of_order","message":"expected seq 3","expected_seq":3})");
  REQUIRE(refused);
  CHECK(*refused == upload_position{3, 0});
  auto no_seq = read_upload_position(409, R"({"code":"conflict","message":"busy"})");
  REQUIRE_FALSE(no_seq);
  CHECK(code_of(no_seq.error()) == ec::protocol_error);
  // A load balancer's page: the platform's trouble, retried later.
  auto page = read_upload_position(503, "<html>503 Service Unavailable</html>");
  REQUIRE_FALSE(page);
  CHECK(code_of(page.error()) == ec::busy);
  auto garbled = read_upload_position(200, "{\"module\":");
  REQUIRE_FALSE(garbled);
  CHECK(code_of(garbled.error()) == ec::protocol_error);
}
