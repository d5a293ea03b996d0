#include "scan/collector.hpp"

#include <exception>
#include <utility>

#include "common/error.hpp"
#include "protocol/sha256.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan {

namespace {

/// The key of the one row that reports an unusable collector.
std::string error_key(const protocol::collector& spec) {
  auto digest = protocol::sha256_hex(canonical_json(spec.spec)).substr(0, 12);
  return "error/" + spec.type + "/" + digest;
}

} // namespace

caf::expected<void> collect(const protocol::collector& spec, const collect_context& ctx,
                            snapshot& out) {
  if (ctx.root_paths == nullptr)
    return make_error(ec::invalid_argument, "collect: no root");
  root_fs fs{ctx.root_paths->root()};
  detail::collector_call call{spec.spec, ctx, fs, out};
  caf::error problem;
  if (!spec.spec.is_object()) {
    problem = make_error(ec::invalid_argument, "collector spec is not a JSON object");
  } else {
    problem = make_error(ec::invalid_argument, "unknown collector type '" + spec.type + "'");
    for (const auto& [type, fn] : detail::collector_table()) {
      if (type != spec.type)
        continue;
      // A collector that appended rows before finding its spec unusable keeps
      // them out: a bad spec yields exactly one row.
      auto mark = out.size();
      try {
        auto result = fn(call);
        problem = result ? caf::error{} : std::move(result.error());
      } catch (const std::exception& e) {
        // Collectors report problems as rows; an exception (a regex the
        // library rejects late, memory) must still not fail the scan.
        problem = make_error(ec::unspecified, std::string{"collector failed: "} + e.what());
      }
      if (problem)
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(mark), out.end());
      break;
    }
  }
  if (problem)
    out.push_back({error_key(spec), canonical_json(nlohmann::json{
                                      {"error", render(problem)}, {"type", spec.type}})});
  return {};
}

} // namespace vigil::scan
