#include "host/reg_format.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>

#include "common/error.hpp"
#include "common/text.hpp"
#include "host/text_encoding.hpp"

namespace vigil {

namespace {

constexpr std::string_view header_v5 = "Windows Registry Editor Version 5.00";
constexpr std::string_view header_v4 = "REGEDIT4";

/// Splits text into lines, accepting LF and CRLF.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    auto line = text.substr(start, end == text.npos ? text.npos : end - start);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    lines.push_back(line);
    if (end == text.npos)
      break;
    start = end + 1;
  }
  return lines;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool is_hex_digit(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

std::string_view skip_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front()))
    text.remove_prefix(1);
  return text;
}

/// Quotes a piece of the input for an error message, shortened.
std::string excerpt(std::string_view text) {
  constexpr size_t max = 24;
  return "'" + std::string{text.substr(0, max)} + (text.size() > max ? "...'" : "'");
}

/// What may follow a value's data, a `=-` or a continuation backslash:
/// blanks, then the end of the line or a `;` comment (regedit's rule: `#`
/// starts a comment only at the start of a line). Returns the problem, or "".
std::string check_line_end(std::string_view rest, std::string_view after) {
  rest = skip_blanks(rest);
  if (rest.empty() || rest.front() == ';')
    return {};
  if (rest.front() == '#')
    return "'#' after " + std::string{after}
           + " is not a comment (regedit ignores such a line; a comment after data starts "
             "with ';')";
  return "unexpected text " + excerpt(rest) + " after " + std::string{after};
}

/// Parses a `"..."` string at the start of `text` and advances `text` past
/// the closing quote. Only `\\` and `\"` are escapes: regedit refuses a line
/// with any other backslash sequence, so one is an error here too, never a
/// silently dropped or changed character. Returns the problem, or "".
std::string take_quoted(std::string_view& text, std::string& out) {
  for (size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      text.remove_prefix(i + 1);
      return {};
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 1 == text.size())
      return "a quoted string ends with '\\' at the end of the line (a string cannot "
             "continue on the next line; write a backslash as \\\\)";
    char next = text[++i];
    if (next != '\\' && next != '"')
      return std::string{"invalid escape '\\"} + next
             + "' in a quoted string: only \\\\ and \\\" are escapes, so write a "
               "backslash as \\\\ (regedit refuses the line too)";
    out += next;
  }
  return "unterminated string (no closing '\"')";
}

/// Parses a comma-separated hex byte list, which continues on the next line
/// after `,\` (or right after the colon), as regedit does: blank lines and
/// `;` comment lines inside the continuation are skipped, and a continuation
/// line must start with a hex digit. `i` is the index of the current line and
/// advances over continuation lines. Returns the problem, or "".
std::string take_hex_list(std::string_view text, const std::vector<std::string_view>& lines,
                          size_t& i, std::vector<uint8_t>& bytes) {
  for (;;) {
    bool continued = false;
    for (;;) {
      text = skip_blanks(text);
      if (text.empty() || text.front() == ';')
        break; // the end of the data (or a trailing comma)
      if (text.front() == '\\') {
        continued = true;
        text.remove_prefix(1);
        break;
      }
      size_t digits = 0;
      while (digits < text.size() && digits < 3 && is_hex_digit(text[digits]))
        ++digits;
      if (digits == 0)
        return "expected a hex byte, found " + excerpt(text);
      if (digits > 2)
        return "hex byte " + excerpt(text.substr(0, text.find(','))) + " has more than two digits";
      unsigned value = 0;
      std::from_chars(text.data(), text.data() + digits, value, 16);
      bytes.push_back(static_cast<uint8_t>(value));
      text = skip_blanks(text.substr(digits));
      if (text.empty() || text.front() == ';')
        break;
      if (text.front() == '\\')
        return "a continuation '\\' must follow a comma (write ',\\')";
      if (text.front() != ',')
        return check_line_end(text, "the hex data");
      text.remove_prefix(1);
    }
    if (!continued)
      return {};
    if (auto problem = check_line_end(text, "a continuation '\\'"); !problem.empty())
      return problem;
    for (;;) {
      if (i + 1 >= lines.size())
        return "hex data continues past the end of the file";
      text = skip_blanks(lines[++i]);
      if (!text.empty() && text.front() != ';')
        break;
    }
    if (!is_hex_digit(text.front()))
      return "expected hex data to continue the value, found " + excerpt(text);
  }
}

/// Decodes a REG_SZ-like byte payload: UTF-16LE in version 5 files, the
/// system code page (taken as UTF-8) in REGEDIT4 files. Drops the terminator.
std::optional<std::string> decode_text(const std::vector<uint8_t>& bytes, bool utf16) {
  std::string_view raw{reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  std::string text;
  if (utf16) {
    auto decoded = utf16_to_utf8(raw);
    if (!decoded)
      return std::nullopt;
    text = std::move(*decoded);
  } else {
    // Rendering writes these values back as UTF-16: bytes that are not UTF-8
    // would be lost then, so they are refused here.
    if (!utf8_to_utf16le(raw))
      return std::nullopt;
    text = raw;
  }
  return text;
}

/// Splits "a\0b\0\0" into its items. Text after the terminating empty item
/// would be lost on the way back, so it is refused (nothing).
std::optional<std::vector<std::string>> split_multi(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\0', start);
    if (end == std::string::npos)
      end = text.size();
    if (end == start) {
      if (text.find_first_not_of('\0', start) != std::string::npos)
        return std::nullopt;
      break;
    }
    items.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

std::string strip_terminator(std::string text) {
  while (!text.empty() && text.back() == '\0')
    text.pop_back();
  return text;
}

/// Turns the bytes of `hex(N):` data into a value of type N. Returns the
/// problem, or "".
std::string typed_value(reg_type type, std::vector<uint8_t> bytes, bool utf16, reg_value& value) {
  value.type = type;
  switch (type) {
    case reg_type::sz:
    case reg_type::expand_sz:
    case reg_type::multi_sz: {
      auto text = decode_text(bytes, utf16);
      if (!text)
        return std::string{utf16 ? "invalid UTF-16" : "invalid UTF-8"} + " text in "
               + to_string(type) + " data";
      if (type != reg_type::multi_sz) {
        value.data = strip_terminator(std::move(*text));
        return {};
      }
      auto items = split_multi(*text);
      if (!items)
        return "REG_MULTI_SZ data continues after its terminating empty string";
      value.data = std::move(*items);
      return {};
    }
    case reg_type::dword:
    case reg_type::qword: {
      size_t width = type == reg_type::dword ? 4 : 8;
      if (bytes.size() != width)
        return to_string(type) + " data needs exactly " + std::to_string(width) + " bytes, found "
               + std::to_string(bytes.size());
      uint64_t number = 0;
      for (size_t i = width; i-- > 0;)
        number = number << 8 | bytes[i];
      if (width == 4)
        value.data = static_cast<uint32_t>(number);
      else
        value.data = number;
      return {};
    }
    default: value.data = std::move(bytes); return {};
  }
}

/// Parses `hex:` or `hex(N):` (N: 1-8 hex digits, regedit's range) at the
/// start of `text` into its type and advances past the colon.
std::optional<reg_type> take_hex_type(std::string_view& text) {
  if (text.starts_with("hex:")) {
    text.remove_prefix(4);
    return reg_type::binary;
  }
  if (!text.starts_with("hex("))
    return std::nullopt;
  auto close = text.find("):");
  auto digits = text.substr(4, close == text.npos ? 0 : close - 4);
  uint32_t number = 0;
  auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), number, 16);
  if (digits.empty() || digits.size() > 8 || err != std::errc{}
      || ptr != digits.data() + digits.size())
    return std::nullopt;
  text.remove_prefix(close + 2);
  return static_cast<reg_type>(number);
}

/// Parses the data after `=` (and any continuation lines) into `st`.
/// Returns the problem, or "".
std::string parse_data(std::string_view data, const std::vector<std::string_view>& lines,
                       size_t& i, bool utf16, reg_statement& st) {
  auto& value = st.value;
  if (data.starts_with('-')) {
    st.what = reg_statement::kind::delete_value;
    return check_line_end(data.substr(1), "'=-'");
  }
  st.what = reg_statement::kind::set_value;
  if (data.starts_with('"')) {
    std::string text;
    if (auto problem = take_quoted(data, text); !problem.empty())
      return problem;
    value.type = reg_type::sz;
    value.data = std::move(text);
    return check_line_end(data, "the closing quote");
  }
  if (data.starts_with("dword:")) {
    auto digits = skip_blanks(data.substr(6));
    size_t count = 0;
    while (count < digits.size() && is_hex_digit(digits[count]))
      ++count;
    if (count == 0 || count > 8)
      return "invalid dword data " + excerpt(digits) + " (expected 1-8 hex digits)";
    uint32_t number = 0;
    std::from_chars(digits.data(), digits.data() + count, number, 16);
    value.type = reg_type::dword;
    value.data = number;
    return check_line_end(digits.substr(count), "the dword data");
  }
  auto type = take_hex_type(data);
  if (!type)
    return "unrecognized value data " + excerpt(data)
           + " (expected \"text\", dword:, hex:, hex(N): or -)";
  std::vector<uint8_t> bytes;
  if (auto problem = take_hex_list(data, lines, i, bytes); !problem.empty())
    return problem;
  return typed_value(*type, std::move(bytes), utf16, value);
}

/// Parses a `[KEY]` or `[-KEY]` line (starting at `[`) into `st`. Returns the
/// problem, or "".
std::string parse_key_line(std::string_view line, reg_statement& st) {
  auto body = line.substr(1);
  if (!body.empty() && is_blank(body.front()))
    return "blank after '[': regedit ignores this line (write [KEY] or [-KEY])";
  // regedit takes the key name up to the last ']'.
  auto close = body.rfind(']');
  if (close == body.npos)
    return "key line without closing ']'";
  if (auto problem = check_line_end(body.substr(close + 1), "']'"); !problem.empty())
    return problem;
  auto inner = body.substr(0, close);
  bool deletion = inner.starts_with('-');
  if (deletion) {
    inner.remove_prefix(1);
    if (!inner.empty() && is_blank(inner.front()))
      return "blank after '[-': regedit ignores this line and deletes nothing (write [-KEY])";
  }
  // Blanks at the end belong to the key's name, as in regedit ("[HKLM\\A ]" is
  // the key "A "); normalize_key_path would trim them.
  auto name = inner;
  while (!name.empty() && is_blank(name.back()))
    name.remove_suffix(1);
  auto path = normalize_key_path(name);
  if (!path)
    return context_of(path.error());
  if (name.size() != inner.size()) {
    if (is_root_key(*path) || name.ends_with('\\'))
      return "blank key name " + excerpt(inner);
    *path += inner.substr(name.size());
  }
  if (deletion && is_root_key(*path))
    return "a root key cannot be deleted";
  st.what = deletion ? reg_statement::kind::delete_key : reg_statement::kind::add_key;
  st.key = std::move(*path);
  return {};
}

caf::error line_error(std::string_view source, size_t line, const std::string& what) {
  return make_error(ec::parse_error,
                    std::string{source} + ":" + std::to_string(line) + ": " + what);
}

std::string escape_string(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"')
      out += '\\';
    out += c;
  }
  return out;
}

/// Appends `prefix` + comma-separated hex bytes, wrapping at 80 columns with
/// `\` continuations indented by two spaces, as regedit does.
void append_hex(std::string& out, size_t line_start_len, std::string_view prefix,
                const std::string& bytes) {
  out += prefix;
  size_t column = line_start_len + prefix.size();
  char buf[4];
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", static_cast<unsigned char>(bytes[i]));
    out += buf;
    column += 2;
    if (i + 1 < bytes.size()) {
      out += ',';
      ++column;
      if (column > 76) {
        out += "\\\n  ";
        column = 2;
      }
    }
  }
}

std::string utf16z(std::string_view text) {
  auto encoded = utf8_to_utf16le(text).value_or(std::string{});
  encoded.append(2, '\0');
  return encoded;
}

void append_value(std::string& out, const reg_value& value) {
  auto start = out.size();
  if (value.name.empty())
    out += "@=";
  else
    out += "\"" + escape_string(value.name) + "\"=";
  auto line_len = out.size() - start;
  switch (value.type) {
    case reg_type::sz: {
      // A quoted string ends at the line break: text holding one (read from
      // hex(1) data, or set through the API) is written as hex(1) instead, so
      // the file parses back to the same value.
      auto& text = std::get<std::string>(value.data);
      if (text.find('\n') == std::string::npos)
        out += "\"" + escape_string(text) + "\"";
      else
        append_hex(out, line_len, "hex(1):", utf16z(text));
      break;
    }
    case reg_type::dword: {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "dword:%08x", std::get<uint32_t>(value.data));
      out += buf;
      break;
    }
    case reg_type::qword: {
      std::string bytes;
      auto number = std::get<uint64_t>(value.data);
      for (int i = 0; i < 8; ++i)
        bytes += static_cast<char>((number >> (8 * i)) & 0xFF);
      append_hex(out, line_len, "hex(b):", bytes);
      break;
    }
    case reg_type::expand_sz:
      append_hex(out, line_len, "hex(2):", utf16z(std::get<std::string>(value.data)));
      break;
    case reg_type::multi_sz: {
      std::string bytes;
      for (auto& item : std::get<std::vector<std::string>>(value.data))
        bytes += utf16z(item);
      bytes.append(2, '\0');
      append_hex(out, line_len, "hex(7):", bytes);
      break;
    }
    default: {
      // REG_BINARY as hex:, every other type held as bytes as hex(N): with
      // its number, so a REG_NONE or hex(100) value keeps its type.
      auto& raw = std::get<std::vector<uint8_t>>(value.data);
      char prefix[24] = "hex:";
      if (value.type != reg_type::binary)
        std::snprintf(prefix, sizeof(prefix), "hex(%x):", static_cast<unsigned>(value.type));
      append_hex(out, line_len, prefix, std::string{raw.begin(), raw.end()});
      break;
    }
  }
  out += '\n';
}

} // namespace

caf::expected<std::vector<reg_statement>> parse_reg(std::string_view bytes,
                                                   std::string_view source) {
  std::string decoded;
  std::string_view text = bytes;
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    bool big_endian = bytes[0] == '\xFE';
    auto utf8 = utf16_to_utf8(bytes.substr(2), big_endian);
    if (!utf8)
      return line_error(source, 1, "invalid UTF-16 text");
    decoded = std::move(*utf8);
    text = decoded;
  } else if (bytes.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  auto lines = split_lines(text);
  std::vector<reg_statement> statements;
  if (std::all_of(lines.begin(), lines.end(),
                  [](std::string_view line) { return trim_blanks(line).empty(); }))
    return statements; // an empty file is an empty hive
  // As for regedit, the header is the first line (blanks before it on that
  // line are fine, a blank line before it is not).
  auto header = trim_blanks(lines[0]);
  bool utf16_payloads = header == header_v5;
  if (!utf16_payloads && header != header_v4)
    return line_error(source, 1,
                      "expected the header '" + std::string{header_v5} + "' or '"
                        + std::string{header_v4} + "' on the first line, found "
                        + excerpt(header));
  std::string current_key;
  bool key_deleted = false; // the current section is a [-KEY]
  for (size_t i = 1; i < lines.size(); ++i) {
    auto line_no = i + 1;
    auto line = skip_blanks(lines[i]);
    if (line.empty() || line.front() == ';' || line.front() == '#')
      continue;
    reg_statement st;
    st.line = line_no;
    if (line.front() == '[') {
      if (auto problem = parse_key_line(line, st); !problem.empty())
        return line_error(source, line_no, problem);
      key_deleted = st.what == reg_statement::kind::delete_key;
      current_key = st.key;
      statements.push_back(std::move(st));
      continue;
    }
    if (line.front() == '@') {
      line.remove_prefix(1);
    } else if (line.front() == '"') {
      if (auto problem = take_quoted(line, st.value.name); !problem.empty())
        return line_error(source, line_no, problem);
    } else {
      return line_error(source, line_no,
                        "unrecognized line " + excerpt(line)
                          + " (expected [KEY], \"Name\"=, @=, or a comment starting with ';' "
                            "or '#')");
    }
    if (current_key.empty())
      return line_error(source, line_no, "value outside of a key section");
    st.key = current_key;
    line = skip_blanks(line);
    if (!line.starts_with('='))
      return line_error(source, line_no, "expected '=' after the value name");
    line = skip_blanks(line.substr(1));
    if (auto problem = parse_data(line, lines, i, utf16_payloads, st); !problem.empty()) {
      // A problem on a continuation line names that line.
      if (i + 1 != line_no)
        problem += " (in the value that starts on line " + std::to_string(line_no) + ")";
      return line_error(source, i + 1, problem);
    }
    if (key_deleted)
      st.what = reg_statement::kind::ignored_value;
    statements.push_back(std::move(st));
  }
  return statements;
}

void apply_statements(hive& target, const std::vector<reg_statement>& statements) {
  for (auto& st : statements) {
    switch (st.what) {
      case reg_statement::kind::add_key: target.ensure_key(st.key); break;
      case reg_statement::kind::delete_key: target.remove_key(st.key); break;
      case reg_statement::kind::set_value: target.set(st.key, st.value); break;
      case reg_statement::kind::delete_value: target.erase_value(st.key, st.value.name); break;
      case reg_statement::kind::ignored_value: break;
    }
  }
}

caf::expected<hive> parse_hive(std::string_view bytes, std::string_view source) {
  auto statements = parse_reg(bytes, source);
  if (!statements)
    return statements.error();
  hive result;
  apply_statements(result, *statements);
  return result;
}

std::string render_reg(const std::vector<const reg_key*>& keys) {
  std::string out{header_v5};
  out += "\n\n";
  for (auto* key : keys) {
    out += "[" + key->path + "]\n";
    for (auto& value : key->values)
      append_value(out, value);
    out += '\n';
  }
  return out;
}

std::string render_hive(const hive& h) {
  // Keys that only exist as parents of others (no values) are implied by
  // their subkeys when read back, so the file leaves them out.
  auto all = h.keys();
  std::vector<const reg_key*> shown;
  for (size_t i = 0; i < all.size(); ++i) {
    bool has_subkey = i + 1 < all.size() && all[i + 1]->path.size() > all[i]->path.size()
                      && all[i + 1]->path[all[i]->path.size()] == '\\'
                      && iequals(all[i + 1]->path.substr(0, all[i]->path.size()), all[i]->path);
    if (!all[i]->values.empty() || !has_subkey)
      shown.push_back(all[i]);
  }
  return render_reg(shown);
}

} // namespace vigil
