#include "protocol/upload.hpp"

#include <nlohmann/json.hpp>

#include "protocol/json_reader.hpp"
#include "protocol/sha256.hpp"

namespace vigil::protocol {

namespace {

void read_positive(json_reader& r, std::string_view field, uint64_t& out) {
  if (r.required(field, out))
    r.check(out >= 1, field, "must be at least 1");
}

} // namespace

nlohmann::json to_json(const upload_status& msg) {
  return {{"module", msg.module},
          {"seq", msg.seq},
          {"received_bytes", msg.received_bytes},
          {"expected_seq", msg.expected_seq},
          {"applied", msg.applied}};
}

nlohmann::json to_json(const upload_complete& msg) {
  return {{"size", msg.size}, {"sha256", msg.sha256}};
}

nlohmann::json to_json(const upload_result& msg) {
  return {{"applied", msg.applied},
          {"duplicate", msg.duplicate},
          {"expected_seq", msg.expected_seq},
          {"rows", msg.rows}};
}

caf::expected<upload_status> parse_upload_status(const nlohmann::json& json) {
  json_reader r{json, "upload_status"};
  upload_status out;
  r.module("module", out.module);
  read_positive(r, "seq", out.seq);
  r.required("received_bytes", out.received_bytes);
  read_positive(r, "expected_seq", out.expected_seq);
  r.required("applied", out.applied);
  return r.result(std::move(out));
}

caf::expected<upload_complete> parse_upload_complete(const nlohmann::json& json) {
  json_reader r{json, "upload_complete"};
  upload_complete out;
  r.required("size", out.size);
  if (r.required("sha256", out.sha256))
    r.check(is_sha256_hex(out.sha256), "sha256",
            "not a lowercase hex SHA-256: " + quoted_value(out.sha256));
  return r.result(std::move(out));
}

caf::expected<upload_result> parse_upload_result(const nlohmann::json& json) {
  json_reader r{json, "upload_result"};
  upload_result out;
  r.required("applied", out.applied);
  if (r.required("duplicate", out.duplicate))
    r.check(!(out.applied && out.duplicate), "duplicate", "true together with applied");
  read_positive(r, "expected_seq", out.expected_seq);
  r.required("rows", out.rows);
  return r.result(std::move(out));
}

std::string message_traits<upload_status>::body(const upload_status& msg) {
  return dump_json(to_json(msg));
}

std::string message_traits<upload_complete>::body(const upload_complete& msg) {
  return dump_json(to_json(msg));
}

std::string message_traits<upload_result>::body(const upload_result& msg) {
  return dump_json(to_json(msg));
}

} // namespace vigil::protocol
