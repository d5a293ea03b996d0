#include "actors/delta_store.hpp"

#include <cstdio>

#include "common/error.hpp"
#include "protocol/delta_codec.hpp"
#include "protocol/upload.hpp"
#include "scan/delta_diff.hpp"
#include "storage/write_batch.hpp"

namespace vigil {

namespace {

constexpr const char* baseline_column = "baseline";
constexpr const char* pending_column = "pending";
constexpr const char* cursor_column = "cursor";

std::string prefix_of(const std::string& module) {
  return module + "/";
}

std::string pending_key(const std::string& module, uint64_t seq) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(seq));
  return prefix_of(module) + digits;
}

std::string cursor_key(const std::string& module, const char* name) {
  return prefix_of(module) + name;
}

/// A cursor number, or nothing when absent; garbage is corruption.
caf::expected<std::optional<int64_t>> read_number(kv_store& store, const std::string& key) {
  auto value = store.get(cursor_column, key);
  if (!value)
    return value.error();
  if (!*value)
    return std::optional<int64_t>{};
  try {
    size_t used = 0;
    auto n = std::stoll(**value, &used);
    if (used == (*value)->size())
      return std::optional<int64_t>{n};
  } catch (const std::exception&) {
  }
  return make_error(ec::corruption, "cursor " + key + " is not a number");
}

caf::expected<protocol::delta> decode(const pending_delta& delta) {
  auto decoded = protocol::decode_delta(delta.bytes, protocol::max_delta_decompressed_bytes);
  if (!decoded)
    return make_error(ec::corruption, "pending delta " + delta.module + " seq "
                                        + std::to_string(delta.seq) + ": "
                                        + render(decoded.error()));
  return decoded;
}

} // namespace

caf::expected<bool> has_pending_delta(kv_store& store, const std::string& module) {
  bool found = false;
  auto scanned = store.scan(pending_column, prefix_of(module), [&](std::string_view, std::string_view) {
    found = true;
    return false;
  });
  if (!scanned)
    return scanned.error();
  return found;
}

caf::expected<std::optional<delta_summary>>
record_delta(kv_store& store, const std::string& module, const scan::snapshot& current,
             int64_t manifest_version, const write_batch& also) {
  auto pending = has_pending_delta(store, module);
  if (!pending)
    return pending.error();
  if (*pending)
    return make_error(ec::busy, module + " has a delta pending upload");
  auto acked = read_number(store, cursor_key(module, "acked_seq"));
  auto next = read_number(store, cursor_key(module, "next_seq"));
  auto version = read_number(store, cursor_key(module, "manifest_version"));
  auto full_needed = read_number(store, cursor_key(module, "full_needed"));
  for (auto* r : {&acked, &next, &version, &full_needed})
    if (!*r)
      return r->error();
  protocol::delta d;
  d.module = module;
  d.seq = static_cast<uint64_t>(next->value_or(acked->value_or(0) + 1));
  d.full = !*acked || *version != std::optional<int64_t>{manifest_version} || full_needed->has_value();
  if (d.full) {
    d.upserts.reserve(current.size());
    for (auto& row : current)
      d.upserts.push_back({row.key, row.value});
  } else {
    scan::snapshot_differ differ{current};
    auto prefix = prefix_of(module);
    auto scanned = store.scan(baseline_column, prefix, [&](std::string_view key, std::string_view value) {
      differ.baseline_row(key.substr(prefix.size()), value);
      return true;
    });
    if (!scanned)
      return scanned.error();
    auto changes = differ.finish();
    if (changes.empty()) {
      if (!also.empty())
        if (auto ok = store.write(also, {true}); !ok)
          return ok.error();
      return std::optional<delta_summary>{};
    }
    d.upserts = std::move(changes.upserts);
    d.removals = std::move(changes.removals);
  }
  delta_summary summary{d.seq, d.full, d.upserts.size(), d.removals.size(), 0};
  auto bytes = protocol::encode_delta(d);
  summary.bytes = bytes.size();
  write_batch batch;
  batch.put(pending_column, pending_key(module, d.seq), (d.full ? "F" : "D") + bytes);
  batch.put(cursor_column, cursor_key(module, "next_seq"), std::to_string(d.seq + 1));
  batch.put(cursor_column, cursor_key(module, "manifest_version"), std::to_string(manifest_version));
  batch.erase(cursor_column, cursor_key(module, "full_needed"));
  for (auto& op : also.operations()) {
    if (op.what == write_batch::kind::put)
      batch.put(op.column, op.key, op.value);
    else
      batch.erase(op.column, op.key);
  }
  if (auto ok = store.write(batch, {true}); !ok)
    return ok.error();
  return std::optional<delta_summary>{summary};
}

namespace {

/// The pending delta stored under `key`, or nothing for a key this code never
/// writes.
std::optional<pending_delta> pending_entry(std::string_view key, std::string_view value) {
  auto slash = key.rfind('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  pending_delta d;
  d.module = std::string{key.substr(0, slash)};
  d.seq = std::strtoull(std::string{key.substr(slash + 1)}.c_str(), nullptr, 10);
  d.full = value.starts_with("F");
  d.bytes = std::string{value.substr(value.empty() ? 0 : 1)};
  return d;
}

} // namespace

caf::expected<std::vector<pending_delta>> pending_deltas(kv_store& store) {
  std::vector<pending_delta> out;
  auto scanned = store.scan(pending_column, "", [&](std::string_view key, std::string_view value) {
    if (auto d = pending_entry(key, value))
      out.push_back(std::move(*d));
    return true;
  });
  if (!scanned)
    return scanned.error();
  return out;
}

caf::expected<std::vector<pending_delta>> pending_heads(kv_store& store) {
  std::vector<pending_delta> out;
  std::string start;
  for (;;) {
    std::optional<pending_delta> head;
    auto scanned = store.scan_from(pending_column, start,
                                   [&](std::string_view key, std::string_view value) {
                                     head = pending_entry(key, value);
                                     return !head; // the first of its module: stop there
                                   });
    if (!scanned)
      return scanned.error();
    if (!head)
      return out;
    // '0' sorts right after '/': "M0" is past every "M/<seq>" key of M.
    start = head->module + "0";
    out.push_back(std::move(*head));
  }
}

caf::expected<void> acknowledge(kv_store& store, const pending_delta& delta) {
  auto d = decode(delta);
  if (!d)
    return d.error();
  auto prefix = prefix_of(delta.module);
  write_batch batch;
  if (d->full) {
    auto cleared = store.scan(baseline_column, prefix, [&](std::string_view key, std::string_view) {
      batch.erase(baseline_column, std::string{key});
      return true;
    });
    if (!cleared)
      return cleared.error();
  }
  for (auto& row : d->upserts)
    batch.put(baseline_column, prefix + row.key, std::move(row.value));
  for (auto& key : d->removals)
    batch.erase(baseline_column, prefix + key);
  batch.erase(pending_column, pending_key(delta.module, delta.seq));
  batch.put(cursor_column, cursor_key(delta.module, "acked_seq"), std::to_string(delta.seq));
  return store.write(batch, {true});
}

caf::expected<scan::snapshot> baseline_rows(kv_store& store, const std::string& module) {
  scan::snapshot rows;
  auto prefix = prefix_of(module);
  auto scanned = store.scan(baseline_column, prefix, [&](std::string_view key, std::string_view value) {
    rows.push_back({std::string{key.substr(prefix.size())}, std::string{value}});
    return true;
  });
  if (!scanned)
    return scanned.error();
  return rows;
}

caf::expected<pending_delta> renumber_as_full(kv_store& store, const pending_delta& delta,
                                              uint64_t seq) {
  auto d = decode(delta);
  if (!d)
    return d.error();
  scan::snapshot rows;
  if (d->full) {
    for (auto& row : d->upserts)
      rows.push_back({std::move(row.key), std::move(row.value)});
  } else {
    auto base = baseline_rows(store, delta.module);
    if (!base)
      return base.error();
    rows = scan::apply_changes(std::move(*base), d->upserts, d->removals);
  }
  protocol::delta full;
  full.module = delta.module;
  full.seq = seq;
  full.full = true;
  full.upserts.reserve(rows.size());
  for (auto& row : rows)
    full.upserts.push_back({std::move(row.key), std::move(row.value)});
  pending_delta out{delta.module, seq, true, protocol::encode_delta(full)};
  write_batch batch;
  batch.erase(pending_column, pending_key(delta.module, delta.seq));
  batch.put(pending_column, pending_key(delta.module, seq), "F" + out.bytes);
  batch.put(cursor_column, cursor_key(delta.module, "next_seq"), std::to_string(seq + 1));
  if (auto ok = store.write(batch, {true}); !ok)
    return ok.error();
  return out;
}

caf::expected<void> request_full(kv_store& store, const std::string& module) {
  return store.put(cursor_column, cursor_key(module, "full_needed"), "1", {true});
}

} // namespace vigil
