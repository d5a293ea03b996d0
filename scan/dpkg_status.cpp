#include "scan/dpkg_status.hpp"

#include <cctype>
#include <map>

#include "common/text.hpp"

namespace vigil::scan {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

/// One stanza being read.
struct stanza {
  size_t line = 0;
  std::map<std::string, std::string> fields; ///< lower-case name -> value
  std::string defect;                         ///< first malformed line, if any
};

void finish(stanza& s, package_list& out) {
  if (s.line == 0)
    return;
  auto field = [&](const char* name) -> std::string {
    auto it = s.fields.find(name);
    return it == s.fields.end() ? std::string{} : it->second;
  };
  auto name = field("package");
  if (!s.defect.empty())
    out.problems.push_back({s.line, name, s.defect});
  else if (name.empty())
    out.problems.push_back({s.line, name, "stanza has no Package field"});
  else if (field("status") == "install ok installed") {
    auto version = field("version");
    if (version.empty())
      out.problems.push_back({s.line, name, "installed package has no Version field"});
    else
      out.packages.push_back({name, version, field("architecture"), "dpkg"});
  }
  s = stanza{};
}

} // namespace

package_list parse_dpkg_status(std::string_view text) {
  package_list out;
  stanza current;
  size_t number = 0;
  bool has_field = false;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (trim(line).empty()) {
      finish(current, out);
      has_field = false;
      continue;
    }
    if (current.line == 0)
      current.line = number;
    if (line.front() == ' ' || line.front() == '\t') {
      // A continuation line (Description, Conffiles): content we do not keep.
      if (!has_field && current.defect.empty())
        current.defect = "line " + std::to_string(number) + ": continuation before any field";
      continue;
    }
    auto colon = line.find(':');
    auto name = colon == std::string_view::npos ? std::string_view{} : line.substr(0, colon);
    if (name.empty() || name.find_first_of(" \t") != std::string_view::npos) {
      if (current.defect.empty())
        current.defect = "line " + std::to_string(number) + ": not a 'Field: value' line";
      continue;
    }
    current.fields[fold_case(name)] = std::string{trim(line.substr(colon + 1))};
    has_field = true;
  }
  finish(current, out);
  return out;
}

package_list parse_rpm_query(std::string_view text) {
  package_list out;
  size_t number = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    if (line.empty())
      continue;
    auto tab1 = line.find('\t');
    auto tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string_view::npos || tab1 == 0) {
      out.problems.push_back({number, {}, "line " + std::to_string(number)
                                            + ": expected NAME<tab>VERSION<tab>ARCH"});
      continue;
    }
    auto version = line.substr(tab1 + 1, tab2 - tab1 - 1);
    if (version.substr(0, 2) == "0:")
      version.remove_prefix(2);
    out.packages.push_back({std::string{line.substr(0, tab1)}, std::string{version},
                            std::string{line.substr(tab2 + 1)}, "rpm"});
  }
  return out;
}

} // namespace vigil::scan
