#include "common/redact.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <shared_mutex>
#include <utility>
#include <vector>

// Redaction runs on every log line, so it avoids std::regex: one cheap pass
// decides whether a line can hold a credential at all, and only then do the
// hand-written scanners below collect the byte ranges to hide. Ranges from all
// rules are merged before the output is built, so overlapping matches (two
// secrets sharing bytes, a secret inside a masked URL) never leave a fragment.

namespace vigil {
namespace {

using range = std::pair<size_t, size_t>; // [first, second)

constexpr char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr bool is_alnum(char c) noexcept { return is_alpha(c) || (c >= '0' && c <= '9'); }

constexpr bool is_ident(char c) noexcept {
  return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

constexpr bool is_quote(char c) noexcept { return c == '"' || c == '\''; }

/// Whether `text` holds lower-case `word` at `pos`, ignoring ASCII case.
bool at_ci(std::string_view text, size_t pos, std::string_view word) noexcept {
  if (pos > text.size() || text.size() - pos < word.size())
    return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (lower(text[pos + i]) != word[i])
      return false;
  return true;
}

bool ends_with_ci(std::string_view text, std::string_view word) noexcept {
  return text.size() >= word.size() && at_ci(text, text.size() - word.size(), word);
}

bool equals_ci(std::string_view text, std::string_view word) noexcept {
  return text.size() == word.size() && at_ci(text, 0, word);
}

// -- registered secrets -----------------------------------------------------

struct secret_registry {
  std::shared_mutex mutex;
  std::vector<std::string> secrets;
  std::atomic<bool> empty{true};
};

secret_registry& registry() {
  // Leaked on purpose: threads may still log while static objects are being
  // destroyed at exit, and redaction must keep working for them.
  static auto* instance = new secret_registry;
  return *instance;
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    }
  }
  return out;
}

void add_secret_locked(std::vector<std::string>& secrets, std::string value) {
  if (std::find(secrets.begin(), secrets.end(), value) == secrets.end())
    secrets.push_back(std::move(value));
}

void collect_secrets(std::string_view text, std::vector<range>& out) {
  auto& reg = registry();
  if (reg.empty.load(std::memory_order_acquire))
    return;
  std::shared_lock lock{reg.mutex};
  for (const auto& secret : reg.secrets)
    for (auto pos = text.find(secret); pos != std::string_view::npos;
         pos = text.find(secret, pos + 1))
      out.emplace_back(pos, pos + secret.size());
}

// -- the cheap pre-check ----------------------------------------------------

constexpr std::array<std::string_view, 10> trigger_words{
  "pass", "pwd", "token", "secret", "key", "auth", "cred", "bearer", "://", "/p"};

constexpr std::array<bool, 256> make_first_chars() {
  std::array<bool, 256> table{};
  for (auto word : trigger_words)
    table[static_cast<unsigned char>(word[0])] = true;
  return table;
}

constexpr auto trigger_first_chars = make_first_chars();

bool has_trigger(std::string_view text) noexcept {
  for (size_t i = 0; i < text.size(); ++i) {
    if (!trigger_first_chars[static_cast<unsigned char>(lower(text[i]))])
      continue;
    for (auto word : trigger_words)
      if (at_ci(text, i, word))
        return true;
  }
  return false;
}

// -- pattern rules ----------------------------------------------------------

/// The position of the quote `q` closing a quoted string whose contents start
/// at `pos` (a backslash escapes the next character), or the end of `text`.
size_t find_closing(std::string_view text, size_t pos, char q) noexcept {
  for (; pos < text.size(); ++pos) {
    if (text[pos] == '\\')
      ++pos;
    else if (text[pos] == q)
      return pos;
  }
  return text.size();
}

enum class key_kind { none, generic_key, secret, authorization };

key_kind classify(std::string_view key) noexcept {
  static constexpr std::array<std::string_view, 8> secret_suffixes{
    "password", "passwd", "pwd", "passphrase", "token", "secret", "credential", "credentials"};
  if (ends_with_ci(key, "authorization"))
    return key_kind::authorization;
  for (auto suffix : secret_suffixes)
    if (ends_with_ci(key, suffix))
      return key_kind::secret;
  // Covers key, apikey, api_key, SPFKEY, access_key.
  if (ends_with_ci(key, "key"))
    return key_kind::generic_key;
  return key_kind::none;
}

/// The value of a plain assignment starting at `v`: a quoted string's contents
/// (also when the quotes are backslash-escaped, as in JSON inside a string),
/// else everything up to a delimiter.
range plain_value(std::string_view t, size_t v, bool json_like) noexcept {
  if (is_quote(t[v]))
    return {v + 1, find_closing(t, v + 1, t[v])};
  if (t[v] == '\\' && v + 1 < t.size() && is_quote(t[v + 1])) {
    std::string_view closing{t.data() + v, 2};
    auto end = t.find(closing, v + 2);
    return {v + 2, end == std::string_view::npos ? t.size() : end};
  }
  size_t e = v;
  while (e < t.size() && !is_space(t[e]) && t[e] != ';' && t[e] != '&' && t[e] != ',' &&
         !is_quote(t[e]) && !(json_like && (t[e] == '}' || t[e] == ']')))
    ++e;
  return {v, e};
}

bool is_token68_scheme(std::string_view scheme) noexcept {
  return equals_ci(scheme, "basic") || equals_ci(scheme, "bearer");
}

bool is_known_scheme(std::string_view scheme) noexcept {
  static constexpr std::array<std::string_view, 8> schemes{
    "digest", "negotiate", "ntlm", "token", "hoba", "mutual", "oauth", "aws4-hmac-sha256"};
  for (auto s : schemes)
    if (equals_ci(scheme, s))
      return true;
  return is_token68_scheme(scheme);
}

/// The credential part of an Authorization header value starting at `v`: the
/// token after Basic/Bearer, everything after another known scheme, and the
/// whole value (to the end of the line or the closing quote) otherwise.
range auth_value(std::string_view t, size_t v) noexcept {
  size_t limit = t.size();
  if (is_quote(t[v])) {
    limit = find_closing(t, v + 1, t[v]);
    ++v;
  }
  size_t line_end = v;
  while (line_end < limit && t[line_end] != '\n' && t[line_end] != '\r')
    ++line_end;
  size_t a = v;
  while (a < line_end && !is_space(t[a]))
    ++a;
  size_t b = a;
  while (b < line_end && is_blank(t[b]))
    ++b;
  std::string_view scheme = t.substr(v, a - v);
  if (b == a || !is_known_scheme(scheme))
    return {v, line_end};
  if (!is_token68_scheme(scheme))
    return {b, line_end};
  size_t c = b;
  while (c < line_end && !is_space(t[c]) && t[c] != ',' && t[c] != ';' && !is_quote(t[c]))
    ++c;
  return {b, c};
}

/// `key=value`, `key = "value"`, `"key": "value"`, `Authorization: ...`.
void mask_assignments(std::string_view t, std::vector<range>& out) {
  for (size_t i = 0; i < t.size(); ++i) {
    char sep = t[i];
    if (sep != '=' && sep != ':')
      continue;
    size_t k = i;
    while (k > 0 && is_blank(t[k - 1]))
      --k;
    bool quoted_key = k > 0 && is_quote(t[k - 1]);
    if (quoted_key)
      --k;
    if (quoted_key && k > 0 && t[k - 1] == '\\') // `\"key\":` in JSON inside a string
      --k;
    size_t key_end = k;
    while (k > 0 && is_ident(t[k - 1]))
      --k;
    std::string_view key = t.substr(k, key_end - k);
    auto kind = classify(key);
    if (kind == key_kind::none)
      continue;
    // A bare `word:` is ordinary prose ("token: expired"); only quoted keys,
    // header names and Authorization take a colon.
    bool header_like = key.find('-') != std::string_view::npos;
    if (sep == ':' && !quoted_key && !header_like && kind != key_kind::authorization)
      continue;
    size_t v = i + 1;
    while (v < t.size() && is_blank(t[v]))
      ++v;
    if (v >= t.size())
      continue;
    auto r = kind == key_kind::authorization ? auth_value(t, v) : plain_value(t, v, quoted_key);
    // A registry key path named `key=` is not a credential.
    if (kind == key_kind::generic_key && (at_ci(t, r.first, "hklm\\") || at_ci(t, r.first, "hkey_")))
      continue;
    if (r.first < r.second) {
      out.push_back(r);
      i = r.second - 1;
    }
  }
}

/// `scheme://user:password@host`: hides the password.
void mask_url_userinfo(std::string_view t, std::vector<range>& out) {
  for (auto pos = t.find("://"); pos != std::string_view::npos; pos = t.find("://", pos + 3)) {
    size_t start = pos + 3;
    size_t end = start;
    while (end < t.size() && !is_space(t[end]) && t[end] != '/' && t[end] != '?' &&
           t[end] != '#' && !is_quote(t[end]) && t[end] != '<' && t[end] != '>')
      ++end;
    std::string_view authority = t.substr(start, end - start);
    auto at = authority.rfind('@');
    if (at == std::string_view::npos)
      continue;
    auto colon = authority.find(':');
    if (colon != std::string_view::npos && colon + 1 < at)
      out.emplace_back(start + colon + 1, start + at);
  }
}

/// vigil-proxy's `/p <password>` and `/p "pass word"`, also as a quoted
/// argument list element (`"/p", "password"`).
void mask_proxy_password_option(std::string_view t, std::vector<range>& out) {
  for (auto pos = t.find('/'); pos != std::string_view::npos; pos = t.find('/', pos + 1)) {
    char before = pos == 0 ? ' ' : t[pos - 1];
    if (!(is_space(before) || is_quote(before) || before == '[' || before == ','))
      continue;
    if (pos + 2 >= t.size() || lower(t[pos + 1]) != 'p')
      continue;
    size_t j = pos + 2;
    bool separated = false;
    if (is_quote(before) && t[j] == before) {
      ++j;
      if (j < t.size() && t[j] == ',') {
        ++j;
        separated = true;
      }
    }
    size_t v = j;
    while (v < t.size() && is_blank(t[v]))
      ++v;
    if (v == j && !separated)
      continue;
    if (v >= t.size())
      continue;
    range r;
    if (is_quote(t[v])) {
      r = {v + 1, find_closing(t, v + 1, t[v])};
    } else {
      size_t e = v;
      while (e < t.size() && !is_space(t[e]))
        ++e;
      r = {v, e};
    }
    if (r.first < r.second)
      out.push_back(r);
  }
}

/// `Bearer <token>` outside an Authorization header.
void mask_bearer(std::string_view t, std::vector<range>& out) {
  for (size_t i = 0; i + 6 < t.size(); ++i) {
    if (lower(t[i]) != 'b' || !at_ci(t, i, "bearer") || (i > 0 && is_ident(t[i - 1])))
      continue;
    size_t v = i + 6;
    if (!is_blank(t[v]))
      continue;
    while (v < t.size() && is_blank(t[v]))
      ++v;
    size_t e = v;
    while (e < t.size() && !is_space(t[e]) && t[e] != ',' && t[e] != ';' && !is_quote(t[e]))
      ++e;
    if (v < e)
      out.emplace_back(v, e);
  }
}

std::string apply(std::string_view text, std::vector<range>& ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::string out;
  out.reserve(text.size());
  size_t cursor = 0;
  for (size_t i = 0; i < ranges.size();) {
    size_t first = ranges[i].first;
    size_t last = ranges[i].second;
    for (++i; i < ranges.size() && ranges[i].first <= last; ++i)
      last = std::max(last, ranges[i].second);
    if (first < cursor) // cannot happen after merging; kept as a guard
      first = cursor;
    out.append(text.substr(cursor, first - cursor));
    out.append(redaction_mask);
    cursor = last;
  }
  out.append(text.substr(cursor));
  return out;
}

} // namespace

void register_secret(std::string_view secret) {
  if (secret.empty())
    return;
  auto& reg = registry();
  std::unique_lock lock{reg.mutex};
  add_secret_locked(reg.secrets, std::string{secret});
  if (auto encoded = percent_encode(secret); encoded != secret)
    add_secret_locked(reg.secrets, std::move(encoded));
  reg.empty.store(false, std::memory_order_release);
}

std::string redact(std::string_view text) {
  std::vector<range> ranges;
  collect_secrets(text, ranges);
  if (has_trigger(text)) {
    mask_assignments(text, ranges);
    mask_url_userinfo(text, ranges);
    mask_proxy_password_option(text, ranges);
    mask_bearer(text, ranges);
  }
  if (ranges.empty())
    return std::string{text};
  return apply(text, ranges);
}

} // namespace vigil
