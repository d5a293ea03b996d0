// The resumable, exactly-once delta upload of SPEC §9 (platform side).
//
// Per (host, module) the platform keeps the last applied seq; the next one it
// accepts is last + 1. Chunks of that seq are stored as they arrive (each in one
// synced batch with the byte count), so an upload resumes from what the
// platform holds after either side restarts. Completion checks size and
// SHA-256, decodes, and applies the rows, the new applied seq and the removal
// of the chunks in one synced batch: a crash leaves the delta wholly applied or
// not at all, and a repeated completion of an applied seq changes nothing.

#include <nlohmann/json.hpp>
#include <unordered_set>

#include "common/error.hpp"
#include "platform/platform_store.hpp"
#include "platform/service.hpp"
#include "platform/service_util.hpp"
#include "protocol/delta_codec.hpp"
#include "protocol/error_response.hpp"
#include "protocol/headers.hpp"
#include "protocol/sha256.hpp"
#include "protocol/upload.hpp"

namespace vigil::platform {

using namespace detail;
namespace codes = protocol::error_codes;

namespace {

std::string upload_key(const std::string& host, const std::string& module, uint64_t seq) {
  return join_key({host, module, padded(seq)});
}

caf::expected<uint64_t> received_bytes(kv_store& store, const std::string& key) {
  auto value = store.get(column::uploads, key);
  if (!value)
    return value.error();
  if (!*value)
    return uint64_t{0};
  return std::stoull(**value);
}

/// Erases every chunk and the byte count of one upload into `batch`.
caf::expected<void> drop_upload(kv_store& store, const std::string& key, write_batch& batch) {
  batch.erase(column::uploads, key);
  return store.scan(column::chunks, key + "|", [&](std::string_view chunk_key, std::string_view) {
    batch.erase(column::chunks, std::string{chunk_key});
    return true;
  });
}

} // namespace

http_response platform_service::delta_status(request_context& ctx, const std::string& module,
                                             uint64_t seq) {
  if (!known_module(module))
    return error_answer(codes::not_found, "no module named " + module);
  auto applied = read_applied(store_, ctx.host_id, module);
  if (!applied)
    return store_failure(applied.error());
  protocol::upload_status status;
  status.module = module;
  status.seq = seq;
  status.expected_seq = applied->last_seq + 1;
  if (seq > status.expected_seq)
    return error_answer(codes::seq_gap,
                        "seq " + std::to_string(seq) + " is ahead; the platform applies "
                          + std::to_string(status.expected_seq) + " next",
                        status.expected_seq);
  if (seq < status.expected_seq) {
    status.applied = true;
  } else {
    auto received = received_bytes(store_, upload_key(ctx.host_id, module, seq));
    if (!received)
      return store_failure(received.error());
    status.received_bytes = *received;
  }
  return json_answer(200, protocol::to_body(status));
}

http_response platform_service::delta_chunk(const http_request& request, request_context& ctx,
                                            const std::string& module, uint64_t seq) {
  if (!known_module(module))
    return error_answer(codes::not_found, "no module named " + module);
  auto offset = protocol::parse_byte_count(request.fields.get(protocol::header_offset));
  auto total = protocol::parse_byte_count(request.fields.get(protocol::header_total_size));
  if (!offset || !total)
    return error_answer(codes::invalid_request, "X-Vigil-Offset and X-Vigil-Total-Size are required");
  if (*total > protocol::max_delta_bytes || request.body.size() > protocol::max_chunk_bytes)
    return error_answer(codes::too_large, "the delta or chunk exceeds the platform's limit");
  auto applied = read_applied(store_, ctx.host_id, module);
  if (!applied)
    return store_failure(applied.error());
  auto expected = applied->last_seq + 1;
  if (seq != expected)
    return error_answer(seq < expected ? codes::conflict : codes::seq_gap,
                        "seq " + std::to_string(seq) + " is not the next to apply ("
                          + std::to_string(expected) + ")",
                        expected);
  auto key = upload_key(ctx.host_id, module, seq);
  auto received = received_bytes(store_, key);
  if (!received)
    return store_failure(received.error());
  protocol::upload_status status{module, seq, *received, expected, false};
  if (*offset != *received)
    return error_answer(codes::conflict,
                        "chunk at offset " + std::to_string(*offset) + " but the platform holds "
                          + std::to_string(*received) + " bytes; resume from there",
                        expected);
  if (*received + request.body.size() > *total)
    return error_answer(codes::invalid_request, "the chunk runs past X-Vigil-Total-Size");
  write_batch batch;
  batch.put(column::chunks, key + "|" + padded(*offset), request.body);
  batch.put(column::uploads, key, std::to_string(*received + request.body.size()));
  if (auto ok = store_.write(batch, {true}); !ok)
    return store_failure(ok.error());
  status.received_bytes = *received + request.body.size();
  ctx.outcome = "stored=" + std::to_string(*offset) + "-" + std::to_string(status.received_bytes);
  return json_answer(200, protocol::to_body(status));
}

http_response platform_service::delta_complete(const http_request& request, request_context& ctx,
                                               const std::string& module, uint64_t seq) {
  if (!known_module(module))
    return error_answer(codes::not_found, "no module named " + module);
  auto done = protocol::parse_body<protocol::upload_complete>(request.body);
  if (!done)
    return error_answer(codes::invalid_request, render(done.error()));
  auto applied = read_applied(store_, ctx.host_id, module);
  if (!applied)
    return store_failure(applied.error());
  auto expected = applied->last_seq + 1;
  protocol::upload_result result;
  result.expected_seq = expected;
  result.rows = applied->rows;
  if (seq < expected) {
    result.duplicate = true; // applied before: a retry after a lost answer
    ctx.outcome = "duplicate";
    return json_answer(200, protocol::to_body(result));
  }
  if (seq > expected)
    return error_answer(codes::seq_gap, "the platform applies " + std::to_string(expected) + " next",
                        expected);
  auto key = upload_key(ctx.host_id, module, seq);
  std::string bytes;
  auto gathered = store_.scan(column::chunks, key + "|", [&](std::string_view, std::string_view v) {
    bytes.append(v);
    return true;
  });
  if (!gathered)
    return store_failure(gathered.error());
  if (bytes.size() != done->size)
    return error_answer(codes::conflict, "the platform holds " + std::to_string(bytes.size())
                                           + " bytes, not " + std::to_string(done->size),
                        expected);
  auto discard = [&](std::string_view code, std::string message) {
    write_batch batch;
    if (auto dropped = drop_upload(store_, key, batch); !dropped)
      return store_failure(dropped.error());
    if (auto ok = store_.write(batch, {true}); !ok)
      return store_failure(ok.error());
    return error_answer(code, std::move(message), expected);
  };
  if (protocol::sha256_hex(bytes) != done->sha256)
    return discard(codes::conflict, "SHA-256 mismatch: the upload was discarded; send it again");
  auto delta = protocol::decode_delta(bytes, protocol::max_delta_decompressed_bytes);
  if (!delta)
    return discard(codes::invalid_request, "undecodable delta: " + render(delta.error()));
  if (delta->module != module || delta->seq != seq)
    return discard(codes::invalid_request, "the delta names another module or seq");
  write_batch batch;
  auto prefix = join_key({ctx.host_id, module, ""});
  uint64_t rows = applied->rows;
  if (delta->full) {
    auto cleared = store_.scan(column::rows, prefix, [&](std::string_view k, std::string_view) {
      batch.erase(column::rows, std::string{k});
      return true;
    });
    if (!cleared)
      return store_failure(cleared.error());
    rows = 0;
  }
  // Track keys this delta touched so repeated keys count once.
  std::unordered_set<std::string> present, absent;
  auto exists = [&](const std::string& row_key) -> caf::expected<bool> {
    if (present.count(row_key))
      return true;
    if (absent.count(row_key) || delta->full)
      return false;
    auto v = store_.get(column::rows, prefix + row_key);
    if (!v)
      return v.error();
    return v->has_value();
  };
  for (auto& row : delta->upserts) {
    auto had = exists(row.key);
    if (!had)
      return store_failure(had.error());
    if (!*had)
      ++rows;
    present.insert(row.key);
    absent.erase(row.key);
    batch.put(column::rows, prefix + row.key, row.value);
  }
  for (auto& removed : delta->removals) {
    auto had = exists(removed);
    if (!had)
      return store_failure(had.error());
    if (*had)
      --rows;
    absent.insert(removed);
    present.erase(removed);
    batch.erase(column::rows, prefix + removed);
  }
  batch.put(column::sequences, join_key({ctx.host_id, module}), encode_applied({seq, rows}));
  if (auto dropped = drop_upload(store_, key, batch); !dropped)
    return store_failure(dropped.error());
  if (auto ok = store_.write(batch, {true}); !ok)
    return store_failure(ok.error());
  result.applied = true;
  ctx.outcome = "applied";
  result.expected_seq = seq + 1;
  result.rows = rows;
  return json_answer(200, protocol::to_body(result));
}

} // namespace vigil::platform
