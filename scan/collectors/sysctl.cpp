// The `sysctl` collector: kernel parameters from <root>/proc/sys.
//
// spec: {"keys"?: ["net.ipv4.ip_forward", ...], "prefix"?: "net.ipv4.conf.all" or [...]}
//
//   sysctl/<dotted.key>  {"value": "1"}   the file's text, blanks collapsed to one space
//                        {"error"}        a named key that is missing or unreadable
//
// A prefix lists every readable parameter below it, except write-only ones
// (vm.drop_caches) and the few that change on every read (kernel.random.uuid,
// fs.file-nr, ...), which would put a changed row in every delta; naming
// such a key in "keys" still collects it.

#include <array>

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

constexpr size_t value_cap = 64 * 1024;
constexpr std::string_view proc_sys = "/proc/sys";
constexpr int max_prefix_depth = 10;

/// Parameters whose value changes between two reads of an unchanged host.
constexpr std::array<std::string_view, 11> volatile_keys = {
  "fs.aio-nr",        "fs.dentry-state", "fs.file-nr",          "fs.inode-nr",
  "fs.inode-state",   "kernel.ns_last_pid", "kernel.pty.nr",    "kernel.random.entropy_avail",
  "kernel.random.uuid", "net.netfilter.nf_conntrack_count", "fs.quota",
};

bool is_volatile(std::string_view key) {
  for (auto v : volatile_keys)
    if (key == v || (key.starts_with(v) && key.size() > v.size() && key[v.size()] == '.'))
      return true;
  return false;
}

/// The in-root file of a key given with dots or slashes; empty when the key
/// is not a plain parameter name.
std::string key_path(std::string_view key) {
  std::string relative{key};
  if (relative.find('/') == std::string::npos)
    for (auto& c : relative)
      if (c == '.')
        c = '/';
  if (relative.empty() || relative.front() == '/' || relative.back() == '/'
      || relative.find("//") != std::string::npos || relative.find("..") != std::string::npos)
    return {};
  return join_path(proc_sys, relative);
}

/// The dotted key of an in-root file below /proc/sys.
std::string dotted(std::string_view path) {
  std::string key{path.substr(proc_sys.size() + 1)};
  for (auto& c : key)
    if (c == '/')
      c = '.';
  return key;
}

/// `text` trimmed, runs of blanks (sysctl's tabs) as one space.
std::string collapse(std::string_view text) {
  std::string out;
  bool blank = false;
  for (char c : trim(text)) {
    bool is_blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (is_blank) {
      blank = true;
      continue;
    }
    if (blank && !out.empty())
      out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

void add_value(const collector_call& call, const std::string& path) {
  auto text = call.fs.read_file(path, value_cap);
  if (text)
    call.add("sysctl/" + dotted(path), {{"value", collapse(*text)}});
  else
    call.add_error("sysctl/" + dotted(path), text.error());
}

void walk(const collector_call& call, const std::string& path, int depth) {
  auto st = call.fs.lstat(path);
  if (!st)
    return;
  if (st->is_regular()) {
    if ((st->mode & 0444) != 0 && !is_volatile(dotted(path)))
      add_value(call, path);
    return;
  }
  if (!st->is_dir() || depth >= max_prefix_depth)
    return;
  if (auto names = call.fs.list_dir(path)) {
    for (const auto& name : *names)
      walk(call, join_path(path, name), depth + 1);
    call.pace();
  }
}

} // namespace

caf::expected<void> collect_sysctl(const collector_call& call) {
  auto keys = spec_strings(call.spec, "keys", false);
  if (!keys)
    return keys.error();
  auto prefixes = spec_strings(call.spec, "prefix", false);
  if (!prefixes)
    return prefixes.error();
  if (keys->empty() && prefixes->empty())
    return make_error(ec::invalid_argument, "give 'keys' or 'prefix'");
  for (const auto& key : *keys)
    if (key_path(key).empty())
      return make_error(ec::invalid_argument, "'" + key + "' is not a sysctl key");
  for (const auto& prefix : *prefixes)
    if (key_path(prefix).empty())
      return make_error(ec::invalid_argument, "'" + prefix + "' is not a sysctl prefix");
  for (const auto& prefix : *prefixes) {
    auto path = key_path(prefix);
    if (auto st = call.fs.stat(path); !st)
      call.add_error("sysctl/" + dotted(path), st.error());
    else
      walk(call, path, 0);
  }
  for (const auto& key : *keys)
    add_value(call, key_path(key));
  return {};
}

} // namespace vigil::scan::detail
