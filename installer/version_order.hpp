#pragma once

#include <string_view>

namespace vigil {

/// Compares dotted versions numerically ("0.10.0" > "0.9.1"): <0, 0, >0.
/// (Apart from the payload's archive code, so that the installed programs
/// that compare versions do not need libarchive.)
int compare_versions(std::string_view a, std::string_view b);

} // namespace vigil
