#pragma once

// The matcher behind the PAC helper shExpMatch, in C++: Duktape's
// backtracking regular expressions made it the bulk of a PAC's run time.

#include <string_view>

namespace vigil {

/// Whether all of `text` matches the shell expression `pattern`: '*' matches
/// any run of characters (also none), '?' exactly one (a whole UTF-8
/// sequence), every other character itself. Linear in practice, O(n*m) at
/// worst, never exponential.
bool shexp_match(std::string_view text, std::string_view pattern);

} // namespace vigil
