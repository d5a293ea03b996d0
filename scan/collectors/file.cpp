// The `file` collector: facts about named paths.
//
// spec: {"paths": [...absolute paths], "regex"?: ECMAScript pattern,
//        "max_lines"?: 100 (<= 10000), "hash"?: true, "max_hash_bytes"?: 64 MiB}
//
//   file/<path>  {"exists": false}                                 nothing there
//                {"exists": true, "type", "mode": "0644", "uid", "gid", "user"?,
//                 "group"?, "size", "mtime", "symlink"?: <target text>,
//                 "sha256"? (regular files), "lines"?: [matching lines],
//                 "lines_truncated"?: true, "note"?, "error"?}
//
// A symlink is described by what it points to (resolved under the root) plus
// its target text; a dangling link or a loop keeps "symlink" and gets "error".
// Only regular files are opened (a FIFO would block), read once for both the
// hash and the regex. A file above max_hash_bytes is neither hashed nor
// searched: "note" says so. Lines of password databases (/etc/shadow,
// /etc/gshadow) and SSH host keys are never collected, only their hash.

#include <regex>

#include "common/error.hpp"
#include "protocol/sha256.hpp"
#include "scan/collectors/collectors.hpp"
#include "scan/glob_match.hpp"

namespace vigil::scan::detail {

namespace {

/// Matching is done on at most this many bytes of a line: libstdc++'s regex
/// recurses per character, and an unbounded line could exhaust the stack.
constexpr size_t max_line_bytes = 4096;
constexpr uint64_t default_hash_cap = 64ull * 1024 * 1024;

struct file_options {
  std::optional<std::regex> regex;
  uint64_t max_lines = 100;
  bool hash = true;
  uint64_t max_hash_bytes = default_hash_cap;
};

/// Reads `file` to the end (at most `cap` bytes): the hash when asked, the
/// lines matching the regex. Sets "error" on a read failure.
void read_content(const collector_call& call, file_reader& file, const file_options& opt,
                  nlohmann::json& value) {
  std::optional<protocol::sha256_hasher> hasher;
  if (opt.hash)
    hasher.emplace();
  auto lines = nlohmann::json::array();
  bool lines_truncated = false;
  std::string line;
  bool line_cut = false;
  auto finish_line = [&] {
    bool match = false;
    try {
      match = opt.regex && std::regex_search(line, *opt.regex);
    } catch (const std::regex_error&) {
      // Too complex for this line (libstdc++ gives up rather than overflow):
      // the line counts as not matching, and the row says so.
      value["note"] = "the regex was too complex for some lines";
    }
    if (match) {
      if (lines.size() < opt.max_lines)
        lines.push_back(line);
      else
        lines_truncated = true;
    }
    line.clear();
    line_cut = false;
  };
  char buffer[64 * 1024];
  uint64_t total = 0;
  uint64_t since_pace = 0;
  for (;;) {
    auto got = file.read(buffer, sizeof(buffer));
    if (!got) {
      value["error"] = render(got.error());
      return;
    }
    auto n = *got;
    if (n == 0)
      break;
    total += n;
    if (total > opt.max_hash_bytes) {
      value["note"] = "grew above " + std::to_string(opt.max_hash_bytes)
                      + " bytes while read: not hashed or searched";
      return;
    }
    std::string_view chunk{buffer, n};
    if (hasher)
      hasher->update(chunk);
    if (opt.regex) {
      while (!chunk.empty()) {
        auto end = chunk.find('\n');
        auto piece = chunk.substr(0, end);
        if (!line_cut) {
          auto room = max_line_bytes - line.size();
          line.append(piece.substr(0, room));
          line_cut = piece.size() > room;
        }
        if (end == std::string_view::npos)
          break;
        finish_line();
        chunk.remove_prefix(end + 1);
      }
    }
    if ((since_pace += n) >= 1024 * 1024) {
      since_pace = 0;
      call.pace();
    }
  }
  if (!line.empty())
    finish_line();
  if (hasher)
    value["sha256"] = hasher->finish_hex();
  if (opt.regex) {
    value["lines"] = std::move(lines);
    if (lines_truncated)
      value["lines_truncated"] = true;
  }
}

/// Files whose lines never leave the host, whatever a manifest asks: password
/// databases and private keys (their hash is still collected, so changes show).
constexpr const char* secret_files[] = {"/etc/shadow",   "/etc/shadow-",
                                        "/etc/gshadow",  "/etc/gshadow-",
                                        "/etc/security/opasswd", "/etc/ssh/ssh_host_*_key"};

/// Whether `path`, links resolved, is one of `secret_files`.
bool is_secret_file(const root_fs& fs, const std::string& path) {
  auto resolved = fs.resolve(path);
  if (!resolved)
    return true; // cannot tell: err on the side of not reading lines
  for (auto pattern : secret_files)
    if (glob_match(pattern, *resolved, {.pathname = true}))
      return true;
  return false;
}

nlohmann::json describe(const collector_call& call, const std::string& path,
                        const file_options& opt, const owner_names& names) {
  auto link = call.fs.lstat(path);
  if (!link) {
    if (code_of(link.error()) == ec::not_found)
      return {{"exists", false}};
    return {{"error", render(link.error())}};
  }
  nlohmann::json value{{"exists", true}};
  if (link->is_symlink()) {
    if (auto target = call.fs.read_link(path))
      value["symlink"] = *target;
  }
  auto st = link->is_symlink() ? call.fs.stat(path) : link;
  if (!st) {
    value["type"] = "symlink";
    value["error"] = render(st.error());
    return value;
  }
  value["type"] = type_name(*st);
  value["mode"] = mode_string(*st);
  value["uid"] = st->uid;
  value["gid"] = st->gid;
  if (auto it = names.users.find(st->uid); it != names.users.end())
    value["user"] = it->second;
  if (auto it = names.groups.find(st->gid); it != names.groups.end())
    value["group"] = it->second;
  value["size"] = st->size;
  value["mtime"] = st->mtime;
  if (!st->is_regular() || (!opt.hash && !opt.regex))
    return value;
  if (st->size > opt.max_hash_bytes) {
    value["note"] = "larger than " + std::to_string(opt.max_hash_bytes)
                    + " bytes: not hashed or searched";
    return value;
  }
  auto file = call.fs.open_regular(path);
  if (!file) {
    value["error"] = render(file.error());
    return value;
  }
  if (opt.regex && is_secret_file(call.fs, path)) {
    auto hash_only = opt;
    hash_only.regex.reset();
    value["note"] = "lines of a password or key file are never collected";
    read_content(call, *file, hash_only, value);
  } else {
    read_content(call, *file, opt, value);
  }
  return value;
}

} // namespace

caf::expected<void> collect_file(const collector_call& call) {
  auto paths = spec_strings(call.spec, "paths", true);
  if (!paths)
    return paths.error();
  file_options opt;
  auto regex = spec_string(call.spec, "regex");
  if (!regex)
    return regex.error();
  if (*regex) {
    try {
      opt.regex.emplace(**regex, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return make_error(ec::invalid_argument, "member 'regex' is not a valid ECMAScript "
                                              "regular expression: " + std::string{e.what()});
    }
  }
  auto max_lines = spec_count(call.spec, "max_lines", 100, 10000);
  auto hash = spec_bool(call.spec, "hash", true);
  auto cap = spec_count(call.spec, "max_hash_bytes", default_hash_cap, 1024ull * 1024 * 1024);
  if (!max_lines)
    return max_lines.error();
  if (!hash)
    return hash.error();
  if (!cap)
    return cap.error();
  opt.max_lines = *max_lines;
  opt.hash = *hash;
  opt.max_hash_bytes = *cap;
  auto names = load_owner_names(call.fs);
  for (const auto& path : *paths) {
    if (path.empty() || path.front() != '/') {
      call.add_error("file/" + path,
                     make_error(ec::invalid_argument, "'" + path + "': not an absolute path"));
      continue;
    }
    auto normal = root_fs::normalize(path);
    call.add("file/" + normal, describe(call, normal, opt, names));
    call.pace();
  }
  return {};
}

} // namespace vigil::scan::detail
