// The `dir` collector: listings of the paths matching glob patterns.
//
// spec: {"glob": pattern or [patterns] (absolute; * ? [..] per component),
//        "max_depth"?: 0 (<= 16): how far below a matched directory to list,
//        "max_entries"?: 10000 (<= 100000)}
//
//   dir/<path>  {"type", "mode", "uid", "gid", "size"? (files), "target"? (symlinks),
//                "error"? (a directory that could not be listed)}
//   error/dir/<pattern>  {"error"}   more entries than max_entries: listing cut
//
// Patterns are matched component by component like fnmatch(3) (FNM_PERIOD:
// '*' does not match a leading dot) under the root, links in the pattern's
// directories resolved under the root, and the results sorted: like glob(3)
// with GLOB_NOSORT then a sort, but never leaving the root. Entries are
// lstat'ed and recursion never enters a symbolic link, so a link loop is
// listed once as a link and never followed. A pattern matching nothing gives
// no rows, as glob(3) does.

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"
#include "scan/glob_match.hpp"

namespace vigil::scan::detail {

namespace {

struct walk {
  const collector_call& call;
  uint64_t max_depth;
  uint64_t max_entries;
  uint64_t entries = 0;
  bool cut = false;

  /// Adds the row of `path` and, for a directory, its children.
  void list(const std::string& path, uint64_t depth) {
    if (entries >= max_entries) {
      cut = true;
      return;
    }
    ++entries;
    auto st = call.fs.lstat(path);
    if (!st) {
      call.add_error("dir/" + path, st.error());
      return;
    }
    nlohmann::json value{{"type", type_name(*st)},
                         {"mode", mode_string(*st)},
                         {"uid", st->uid},
                         {"gid", st->gid}};
    if (st->is_regular())
      value["size"] = st->size;
    if (st->is_symlink())
      if (auto target = call.fs.read_link(path))
        value["target"] = *target;
    std::vector<std::string> children;
    if (st->is_dir() && depth < max_depth) {
      auto names = call.fs.list_dir(path);
      if (names)
        children = std::move(*names);
      else
        value["error"] = render(names.error());
    }
    call.add("dir/" + path, value);
    call.pace();
    for (const auto& name : children)
      list(join_path(path, name), depth + 1);
  }
};

bool has_magic(std::string_view component) {
  return component.find_first_of("*?[") != std::string_view::npos;
}

/// The in-root paths matching `pattern`, sorted; at most `limit` + 1.
std::vector<std::string> expand(const root_fs& fs, std::string_view pattern, uint64_t limit) {
  std::vector<std::string> current{"/"};
  size_t start = 1;
  while (start <= pattern.size() && !current.empty()) {
    auto end = pattern.find('/', start);
    if (end == std::string_view::npos)
      end = pattern.size();
    std::string component{pattern.substr(start, end - start)};
    start = end + 1;
    if (component.empty() || component == ".")
      continue;
    std::vector<std::string> next;
    for (const auto& dir : current) {
      if (!has_magic(component)) {
        auto candidate = join_path(dir, component);
        if (fs.lstat(candidate))
          next.push_back(std::move(candidate));
        continue;
      }
      auto names = fs.list_dir(dir);
      if (!names)
        continue; // like glob(3) without GLOB_ERR: unreadable directories match nothing
      for (const auto& name : *names)
        if (glob_match(component, name, {.period = true}))
          next.push_back(join_path(dir, name));
      if (next.size() > limit)
        break;
    }
    std::sort(next.begin(), next.end());
    current = std::move(next);
  }
  return current;
}

} // namespace

caf::expected<void> collect_dir(const collector_call& call) {
  auto patterns = spec_strings(call.spec, "glob", true);
  if (!patterns)
    return patterns.error();
  auto max_depth = spec_count(call.spec, "max_depth", 0, 16);
  if (!max_depth)
    return max_depth.error();
  auto max_entries = spec_count(call.spec, "max_entries", 10000, 100000);
  if (!max_entries)
    return max_entries.error();
  for (const auto& pattern : *patterns) {
    if (pattern.empty() || pattern.front() != '/')
      return make_error(ec::invalid_argument, "glob '" + pattern + "' is not absolute");
    if (pattern == "/.." || pattern.find("/../") != std::string::npos
        || pattern.ends_with("/.."))
      return make_error(ec::invalid_argument, "glob '" + pattern + "' contains '..'");
  }
  for (const auto& pattern : *patterns) {
    walk w{call, *max_depth, *max_entries};
    for (const auto& path : expand(call.fs, pattern, *max_entries)) {
      w.list(path, 0);
      if (w.cut)
        break;
    }
    if (w.cut)
      call.add_error("error/dir/" + pattern,
                     make_error(ec::too_large, "more than " + std::to_string(*max_entries)
                                                 + " entries: listing cut"));
  }
  return {};
}

} // namespace vigil::scan::detail
