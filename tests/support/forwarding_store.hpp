#pragma once

#include "storage/memory_store.hpp"

namespace vigil::test {

/// A store that forwards every operation to a memory store of its own: a test
/// derives from it and overrides the one operation it counts, stretches or
/// fails, leaving the rest as a real store does them.
class forwarding_store : public kv_store {
protected:
  memory_store inner_{agent_columns()};

  caf::expected<std::optional<std::string>> do_get(std::string_view column,
                                                   std::string_view key) override {
    return inner_.get(column, key);
  }
  caf::expected<void> do_put(std::string_view column, std::string_view key,
                             std::string_view value, write_options options) override {
    return inner_.put(column, key, value, options);
  }
  caf::expected<void> do_erase(std::string_view column, std::string_view key,
                               write_options options) override {
    return inner_.erase(column, key, options);
  }
  caf::expected<void> do_write(const write_batch& batch, write_options options) override {
    return inner_.write(batch, options);
  }
  caf::expected<void> do_scan(std::string_view column, scan_range range, std::string_view bound,
                              const scan_callback& f) override {
    return range == scan_range::with_prefix ? inner_.scan(column, bound, f)
                                            : inner_.scan_from(column, bound, f);
  }
};

} // namespace vigil::test
