#include "tests/support/windows/helper_program.hpp"

#include <string>

#include <windows.h>

namespace vigil::test {

std::filesystem::path helper_program(std::string_view name) {
  wchar_t self[MAX_PATH];
  auto length = ::GetModuleFileNameW(nullptr, self, MAX_PATH);
  return std::filesystem::path{std::wstring{self, length}}.parent_path() / "helpers"
         / std::string{name};
}

} // namespace vigil::test
