// The PAC evaluator of the Windows build (net/pac/evaluator.hpp), for now a
// refusal: the evaluator runs the vigil-pac child, whose JavaScript engine
// (Duktape) the Windows dependencies do not have yet (issue 20). Every
// evaluation fails with one clear error, so the proxy resolver logs it and
// falls back to the next source (SPEC §10): static proxies and direct
// connections work as on Linux.
#include "net/pac/evaluator.hpp"

#include <windows.h>

#include "common/error.hpp"

namespace vigil {

namespace {

caf::error not_supported() {
  // ec::not_found, as for any setup without a vigil-pac program.
  return make_error(ec::unsupported, "PAC scripts are not supported in the Windows build yet; "
                                   "configure a static proxy (vigil-proxy.exe /u <proxy url>)");
}

} // namespace

caf::expected<std::vector<caf::expected<pac_result>>>
evaluate_pac_batch(const pac_request&, const std::vector<pac_query>&) {
  return not_supported();
}

caf::expected<pac_result> evaluate_pac(const pac_request&) {
  return not_supported();
}

std::filesystem::path default_pac_program() {
  std::wstring self(MAX_PATH, L'\0');
  for (;;) {
    auto length = GetModuleFileNameW(nullptr, self.data(), static_cast<DWORD>(self.size()));
    if (length == 0)
      return {};
    if (length < self.size()) {
      self.resize(length);
      break;
    }
    self.resize(self.size() * 2);
  }
  return std::filesystem::path{self}.parent_path() / "vigil-pac.exe";
}

} // namespace vigil
