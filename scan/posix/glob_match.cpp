// scan/glob_match.hpp on POSIX: fnmatch(3), as the collectors called it
// before the seam.
#include "scan/glob_match.hpp"

#include <fnmatch.h>
#include <string>

namespace vigil::scan {

bool glob_match(std::string_view pattern, std::string_view name, glob_flags flags) {
  int bits = (flags.pathname ? FNM_PATHNAME : 0) | (flags.period ? FNM_PERIOD : 0);
  return ::fnmatch(std::string{pattern}.c_str(), std::string{name}.c_str(), bits) == 0;
}

} // namespace vigil::scan
