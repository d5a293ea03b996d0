#include "actors/selfpatch_logic.hpp"

#include <charconv>
#include <system_error>

#include "common/error.hpp"
#include "storage/write_batch.hpp"

namespace vigil {

namespace {

const std::string meta = "meta";
constexpr const char* serial_key = "selfpatch.highest_serial";
constexpr const char* version_key = "selfpatch.highest_version";

std::string rolled_back_key(std::string_view version) {
  return "selfpatch.rolled_back." + std::string{version};
}

std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t out = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (err != std::errc{} || end != text.data() + text.size() || text.empty())
    return std::nullopt;
  return out;
}

} // namespace

caf::expected<upgrade_memory> load_upgrade_memory(kv_store& store) {
  upgrade_memory out;
  auto serial = store.get(meta, serial_key);
  if (!serial)
    return serial.error();
  if (*serial)
    out.highest_serial = parse_u64(**serial).value_or(0); // garbled: start over at 0
  auto version = store.get(meta, version_key);
  if (!version)
    return version.error();
  if (*version && version::parse(**version))
    out.highest_version = **version;
  return out;
}

caf::expected<void> remember_upgrade(kv_store& store, uint64_t serial, std::string_view v) {
  auto known = load_upgrade_memory(store);
  if (!known)
    return known.error();
  write_batch batch;
  if (serial > known->highest_serial)
    batch.put(meta, serial_key, std::to_string(serial));
  auto offered = version::parse(v);
  auto highest = version::parse(known->highest_version);
  if (offered && (!highest || *offered > *highest))
    batch.put(meta, version_key, std::string{v});
  return store.write(batch, {true});
}

caf::expected<void> remember_rollback(kv_store& store, std::string_view v, uint64_t serial) {
  write_batch batch;
  batch.put(meta, rolled_back_key(v), std::to_string(serial));
  return store.write(batch, {true});
}

caf::expected<std::optional<uint64_t>> rolled_back_serial(kv_store& store, std::string_view v) {
  auto stored = store.get(meta, rolled_back_key(v));
  if (!stored)
    return stored.error();
  if (!*stored)
    return std::optional<uint64_t>{};
  return parse_u64(**stored);
}

std::string next_range(uint64_t have, uint64_t size, uint64_t chunk) {
  auto last = std::min(size, have + chunk) - 1;
  return "bytes=" + std::to_string(have) + "-" + std::to_string(last);
}

std::optional<uint64_t> content_range_total(std::string_view header) {
  auto slash = header.rfind('/');
  if (!header.starts_with("bytes ") || slash == std::string_view::npos)
    return std::nullopt;
  return parse_u64(header.substr(slash + 1));
}

caf::expected<uint64_t> free_disk_bytes(const std::filesystem::path& dir) {
  std::error_code err;
  auto info = std::filesystem::space(dir, err);
  if (err)
    return make_error(ec::io_error, "free space of " + dir.string() + ": " + err.message());
  return static_cast<uint64_t>(info.available);
}

} // namespace vigil
