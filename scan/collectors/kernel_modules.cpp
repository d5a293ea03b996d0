// The `kernel_modules` collector: loaded modules from <root>/proc/modules.
//
//   kernel_modules/<name>  {"size", "state": "Live"|"Loading"|"Unloading",
//                           "used_by": [sorted module names], "taint"?: "OE"}
//   error/kernel_modules/<line>  {"error"}  a line that does not parse
//   error/kernel_modules/proc    {"error"}  /proc/modules cannot be read
//
// The reference count and load address are left out: they change while the
// module set does not (and the address reads 0 without privileges).

#include <charconv>
#include <set>

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

caf::expected<void> collect_kernel_modules(const collector_call& call) {
  auto text = call.fs.read_file("/proc/modules", 16 * 1024 * 1024);
  if (!text) {
    call.add_error("error/kernel_modules/proc", text.error());
    return {};
  }
  size_t number = 0;
  for (auto line : lines_of(*text)) {
    ++number;
    if (trim(line).empty())
      continue;
    // name size refcount deps state address [taint]
    std::vector<std::string_view> f;
    size_t i = 0;
    while (i < line.size()) {
      auto start = line.find_first_not_of(' ', i);
      if (start == std::string_view::npos)
        break;
      auto end = std::min(line.find(' ', start), line.size());
      f.push_back(line.substr(start, end - start));
      i = end;
    }
    uint64_t size = 0;
    bool ok = f.size() >= 6;
    if (ok) {
      auto [p, ec] = std::from_chars(f[1].data(), f[1].data() + f[1].size(), size);
      ok = ec == std::errc{} && p == f[1].data() + f[1].size();
    }
    if (!ok) {
      call.add_error("error/kernel_modules/" + std::to_string(number),
                     make_error(ec::parse_error, "/proc/modules: line " + std::to_string(number)
                                                   + " is malformed"));
      continue;
    }
    std::set<std::string> used_by;
    if (f[3] != "-") {
      auto deps = f[3];
      while (!deps.empty()) {
        auto comma = deps.find(',');
        if (auto dep = deps.substr(0, comma); !dep.empty())
          used_by.emplace(dep);
        deps = comma == std::string_view::npos ? std::string_view{} : deps.substr(comma + 1);
      }
    }
    nlohmann::json value{{"size", size}, {"state", f[4]}, {"used_by", used_by}};
    if (f.size() >= 7 && f[6].size() > 2 && f[6].front() == '(' && f[6].back() == ')')
      value["taint"] = f[6].substr(1, f[6].size() - 2);
    call.add("kernel_modules/" + std::string{f[0]}, value);
  }
  return {};
}

} // namespace vigil::scan::detail
