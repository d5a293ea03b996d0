#include "platform/platform_store.hpp"

#include <charconv>
#include <cstdio>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "storage/postgres_store.hpp"
#include "storage/rocksdb_store.hpp"

namespace vigil::platform {

const std::vector<std::string>& platform_columns() {
  static const std::vector<std::string> columns{
    column::customers, column::activations, column::hosts,  column::profiles,
    column::manifests, column::sequences,   column::uploads, column::chunks,
    column::rows,      column::orders,      column::duplicates, column::checkins,
    column::releases,  column::settings,    column::tamper, column::release_files};
  return columns;
}

std::string join_key(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (auto part : parts) {
    if (!key.empty())
      key += '|';
    key += part;
  }
  return key;
}

std::string padded(uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%020llu", static_cast<unsigned long long>(n));
  return buf;
}

std::string encode_applied(const applied_state& state) {
  return std::to_string(state.last_seq) + " " + std::to_string(state.rows);
}

caf::expected<applied_state> read_applied(kv_store& store, const std::string& host,
                                          const std::string& module) {
  auto value = store.get(column::sequences, join_key({host, module}));
  if (!value)
    return value.error();
  applied_state state;
  if (!*value)
    return state;
  auto& text = **value;
  auto space = text.find(' ');
  if (space == std::string::npos
      || std::from_chars(text.data(), text.data() + space, state.last_seq).ec != std::errc{}
      || std::from_chars(text.data() + space + 1, text.data() + text.size(), state.rows).ec
           != std::errc{})
    return make_error(ec::corruption, "malformed applied state for " + host + "|" + module);
  return state;
}

caf::expected<std::unique_ptr<kv_store>> open_platform_store(const std::string& data_dir) {
  return rocksdb_store::open(std::filesystem::path{data_dir} / "db", platform_columns());
}

std::filesystem::path store_url_file(const std::filesystem::path& data_dir) {
  return data_dir / "store.url";
}

caf::expected<platform_storage> open_platform_storage(const std::filesystem::path& data_dir,
                                                      const std::string& url) {
  auto chosen = url;
  if (chosen.empty()) {
    auto recorded = read_whole_file(store_url_file(data_dir));
    if (recorded) {
      chosen = recorded->substr(0, recorded->find('\n'));
    } else if (code_of(recorded.error()) != ec::not_found) {
      return recorded.error();
    }
  }
  platform_storage out;
  if (chosen.empty()) {
    auto store = open_platform_store(data_dir.string());
    if (!store)
      return store.error();
    out.store = std::move(*store);
    return out;
  }
  if (!is_postgres_url(chosen))
    return make_error(ec::invalid_argument,
                      "the store must be a postgresql:// URL (libpq's connection URI)");
  auto store = open_postgres_store(chosen, platform_columns());
  if (!store)
    return store.error();
  auto locks = open_postgres_lock_space(chosen);
  if (!locks)
    return locks.error();
  if (!url.empty())
    if (auto ok = write_file_atomically(store_url_file(data_dir), url + "\n", 0600); !ok)
      return ok.error();
  out.store = std::move(*store);
  out.instance_locks = std::move(*locks);
  return out;
}

} // namespace vigil::platform
