#include "scan/collector.hpp"

#include <array>
#include <exception>
#include <utility>

#include "common/error.hpp"
#include "protocol/sha256.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan {

namespace {

using detail::collector_fn;

/// Every collector type and its function.
constexpr std::array<std::pair<std::string_view, collector_fn>, 12> collectors{{
  {"os", detail::collect_os},
  {"network", detail::collect_network},
  {"packages", detail::collect_packages},
  {"file", detail::collect_file},
  {"dir", detail::collect_dir},
  {"sysctl", detail::collect_sysctl},
  {"services", detail::collect_services},
  {"listening_ports", detail::collect_listening_ports},
  {"users", detail::collect_users},
  {"kernel_modules", detail::collect_kernel_modules},
  {"command", detail::collect_command},
  {"registry", detail::collect_registry},
}};

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
    for (const auto& [type, fn] : collectors) {
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
