#include "host/reg_format.hpp"

#include <charconv>
#include <cstdio>

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

/// Parses a `"..."` string with `\\` and `\"` escapes starting at `text[0]`;
/// returns the unescaped text and advances `text` past the closing quote.
std::optional<std::string> take_quoted(std::string_view& text) {
  if (text.empty() || text.front() != '"')
    return std::nullopt;
  std::string out;
  for (size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      out += text[++i];
    } else if (c == '"') {
      text.remove_prefix(i + 1);
      return out;
    } else {
      out += c;
    }
  }
  return std::nullopt;
}

std::optional<std::vector<uint8_t>> parse_hex_list(std::string_view text) {
  std::vector<uint8_t> bytes;
  text = trim_blanks(text);
  if (text.empty())
    return bytes;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    auto item = trim_blanks(text.substr(start, end == text.npos ? text.npos : end - start));
    if (item.empty() && end == text.npos)
      break; // a trailing comma
    unsigned value = 0;
    auto [ptr, err] = std::from_chars(item.data(), item.data() + item.size(), value, 16);
    if (item.empty() || item.size() > 2 || err != std::errc{} || ptr != item.data() + item.size())
      return std::nullopt;
    bytes.push_back(static_cast<uint8_t>(value));
    if (end == text.npos)
      break;
    start = end + 1;
  }
  return bytes;
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

std::vector<std::string> split_multi(const std::string& text) {
  // "a\0b\0\0": items end with NUL; the list ends with an empty item.
  std::vector<std::string> items;
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\0', start);
    if (end == std::string::npos)
      end = text.size();
    if (end == start)
      break;
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

/// Parses the data after `=` into `value`; returns an error description or empty.
std::string parse_data(std::string_view data, bool utf16, reg_value& value) {
  if (!data.empty() && data.front() == '"') {
    auto text = take_quoted(data);
    if (!text)
      return "unterminated string";
    if (!trim_blanks(data).empty())
      return "unexpected text after the closing quote";
    value.type = reg_type::sz;
    value.data = std::move(*text);
    return {};
  }
  if (data.starts_with("dword:")) {
    auto digits = trim_blanks(data.substr(6));
    uint32_t number = 0;
    auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), number, 16);
    if (digits.empty() || digits.size() > 8 || err != std::errc{}
        || ptr != digits.data() + digits.size())
      return "invalid dword data '" + std::string{digits} + "' (expected 1-8 hex digits)";
    value.type = reg_type::dword;
    value.data = number;
    return {};
  }
  if (!data.starts_with("hex"))
    return "unrecognized value data '" + std::string{data.substr(0, 20)} + "'";
  auto colon = data.find(':');
  if (colon == data.npos)
    return "hex data without ':'";
  auto tag = data.substr(0, colon);
  auto bytes = parse_hex_list(data.substr(colon + 1));
  if (!bytes)
    return "invalid hex byte list";
  if (tag == "hex") {
    value.type = reg_type::binary;
    value.data = std::move(*bytes);
    return {};
  }
  if (tag.size() < 6 || tag[3] != '(' || tag.back() != ')')
    return "invalid hex type '" + std::string{tag} + "'";
  auto code = fold_case(tag.substr(4, tag.size() - 5));
  if (code == "1" || code == "2") {
    auto text = decode_text(*bytes, utf16);
    if (!text)
      return utf16 ? "invalid UTF-16 string data" : "invalid UTF-8 string data";
    value.type = code == "1" ? reg_type::sz : reg_type::expand_sz;
    value.data = strip_terminator(std::move(*text));
    return {};
  }
  if (code == "7") {
    auto text = decode_text(*bytes, utf16);
    if (!text)
      return utf16 ? "invalid UTF-16 multi-string data" : "invalid UTF-8 multi-string data";
    value.type = reg_type::multi_sz;
    value.data = split_multi(*text);
    return {};
  }
  if (code == "4" || code == "b") {
    size_t width = code == "4" ? 4 : 8;
    if (bytes->size() != width)
      return "hex(" + code + ") needs exactly " + std::to_string(width) + " bytes";
    uint64_t number = 0;
    for (size_t i = width; i-- > 0;)
      number = number << 8 | (*bytes)[i];
    value.type = width == 4 ? reg_type::dword : reg_type::qword;
    if (width == 4)
      value.data = static_cast<uint32_t>(number);
    else
      value.data = number;
    return {};
  }
  return "unsupported value type hex(" + code + ")";
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
    case reg_type::binary: {
      auto& raw = std::get<std::vector<uint8_t>>(value.data);
      append_hex(out, line_len, "hex:", std::string{raw.begin(), raw.end()});
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
  size_t i = 0;
  while (i < lines.size() && trim_blanks(lines[i]).empty())
    ++i;
  if (i == lines.size())
    return statements; // an empty file is an empty hive
  auto header = trim_blanks(lines[i]);
  bool utf16_payloads = header == header_v5;
  if (!utf16_payloads && header != header_v4)
    return line_error(source, i + 1,
                      "expected the header '" + std::string{header_v5} + "', found '"
                        + std::string{header.substr(0, 60)} + "'");
  std::string current_key;
  for (++i; i < lines.size(); ++i) {
    auto line_no = i + 1;
    auto line = trim_blanks(lines[i]);
    if (line.empty() || line.front() == ';')
      continue;
    if (line.front() == '[') {
      if (line.back() != ']')
        return line_error(source, line_no, "key line without closing ']'");
      auto inner = line.substr(1, line.size() - 2);
      bool deletion = !inner.empty() && inner.front() == '-';
      if (deletion)
        inner.remove_prefix(1);
      auto path = normalize_key_path(inner);
      if (!path)
        return line_error(source, line_no, context_of(path.error()));
      reg_statement st;
      st.what = deletion ? reg_statement::kind::delete_key : reg_statement::kind::add_key;
      st.key = *path;
      st.line = line_no;
      current_key = deletion ? std::string{} : *path;
      statements.push_back(std::move(st));
      continue;
    }
    if (current_key.empty())
      return line_error(source, line_no, "value outside of a key section");
    reg_statement st;
    st.key = current_key;
    st.line = line_no;
    std::string_view rest = line;
    if (rest.front() == '@') {
      rest.remove_prefix(1);
    } else {
      auto name = take_quoted(rest);
      if (!name)
        return line_error(source, line_no, "expected a quoted value name or '@'");
      st.value.name = std::move(*name);
    }
    rest = trim_blanks(rest);
    if (rest.empty() || rest.front() != '=')
      return line_error(source, line_no, "expected '=' after the value name");
    rest = trim_blanks(rest.substr(1));
    if (rest == "-") {
      st.what = reg_statement::kind::delete_value;
      statements.push_back(std::move(st));
      continue;
    }
    // Hex data may continue over lines ending with a backslash.
    std::string joined;
    if (rest.starts_with("hex")) {
      joined = rest;
      while (!joined.empty() && joined.back() == '\\') {
        joined.pop_back();
        if (++i >= lines.size())
          return line_error(source, line_no, "hex data continues past the end of the file");
        joined += trim_blanks(lines[i]);
      }
      rest = joined;
    }
    st.what = reg_statement::kind::set_value;
    if (auto problem = parse_data(rest, utf16_payloads, st.value); !problem.empty())
      return line_error(source, line_no, problem);
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
