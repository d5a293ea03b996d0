#include "host/command_line.hpp"

#include "common/error.hpp"
#include "common/text.hpp"

namespace vigil {

caf::expected<std::vector<std::string>> split_command_line(std::string_view line) {
  std::vector<std::string> args;
  std::string current;
  bool in_argument = false;
  bool quoted = false;
  size_t quote_opened = 0;
  for (size_t i = 0; i < line.size();) {
    char c = line[i];
    if (c == '\\') {
      size_t count = 0;
      while (i < line.size() && line[i] == '\\') {
        ++count;
        ++i;
      }
      in_argument = true;
      if (i < line.size() && line[i] == '"') {
        current.append(count / 2, '\\');
        if (count % 2 == 1) {
          current += '"';
          ++i;
        } // else: the quote toggles quoting on the next turn
      } else {
        current.append(count, '\\');
      }
      continue;
    }
    if (c == '"') {
      in_argument = true;
      quoted = !quoted;
      if (quoted)
        quote_opened = i;
      ++i;
      continue;
    }
    if (!quoted && is_blank_or_line_break(c)) {
      if (in_argument)
        args.push_back(std::move(current));
      current.clear();
      in_argument = false;
      ++i;
      continue;
    }
    current += c;
    in_argument = true;
    ++i;
  }
  if (quoted)
    return invalid_argument_error("unterminated quote: the '\"' at character "
                                  + std::to_string(quote_opened + 1) + " is never closed");
  if (in_argument)
    args.push_back(std::move(current));
  return args;
}

std::string printable(std::string_view raw) {
  constexpr size_t limit = 120;
  constexpr std::string_view hex = "0123456789abcdef";
  std::string text{raw};
  auto scheme = text.find("://");
  auto start = scheme == std::string::npos ? 0 : scheme + 3;
  if (auto at = text.rfind('@'); at != std::string::npos && at >= start)
    text = text.substr(0, start) + "***" + text.substr(at);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == limit)
      return out + "...";
    char c = text[i];
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (is_control(c)) {
          auto u = static_cast<unsigned char>(c);
          out += "\\x";
          out += hex[u >> 4];
          out += hex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string quote_argument(std::string_view arg) {
  if (!arg.empty() && arg.find_first_of(" \t\r\n\"") == std::string_view::npos)
    return std::string{arg};
  std::string out = "\"";
  size_t backslashes = 0;
  for (char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    // Backslashes are literal unless a quote follows them.
    out.append(c == '"' ? backslashes * 2 + 1 : backslashes, '\\');
    out += c;
    backslashes = 0;
  }
  out.append(backslashes * 2, '\\');
  return out + "\"";
}

} // namespace vigil
