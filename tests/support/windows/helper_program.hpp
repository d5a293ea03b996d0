#pragma once

// The Windows tests' helper programs (tests/host/windows: child.cpp,
// service_child.cpp), built into helpers/ beside the test programs.

#include <filesystem>
#include <string_view>

namespace vigil::test {

/// `helpers/<name>` beside the running test program, e.g.
/// `helper_program("host_windows_child.exe")`.
std::filesystem::path helper_program(std::string_view name);

} // namespace vigil::test
