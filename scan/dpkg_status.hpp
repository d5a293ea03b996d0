#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::scan {

/// One installed package, from the dpkg status file or an rpm query.
struct installed_package {
  std::string name;
  std::string version;
  std::string architecture;
  std::string source; ///< "dpkg" or "rpm": which database named it
};

/// A record that could not be read: where it starts (1-based line), the
/// package it names when known, and what is wrong.
struct package_problem {
  size_t line = 0;
  std::string package;
  std::string message;
};

/// What a package database listing yielded: the good records and the bad ones.
struct package_list {
  std::vector<installed_package> packages;
  std::vector<package_problem> problems;
};

/// Parses the text of `/var/lib/dpkg/status` (deb822 stanzas separated by
/// blank lines). Keeps the packages whose Status is exactly
/// "install ok installed"; a stanza with no Package field, no Version, or a
/// line that is neither `Field: value` nor a continuation becomes a problem
/// while every other stanza is still read. Field names match
/// case-insensitively; CRLF line ends are accepted.
package_list parse_dpkg_status(std::string_view text);

/// Parses the output of `rpm -qa --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\n'`:
/// one package per line; an epoch of 0 is dropped ("1.0-1", "2:1.0-1"). A
/// line without three fields is a problem.
package_list parse_rpm_query(std::string_view text);

} // namespace vigil::scan
