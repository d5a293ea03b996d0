#include "installer/setup_lock.hpp"

#include "common/error.hpp"
#include "installer/setup_args.hpp"

namespace vigil {

std::optional<setup_lock> setup_lock::take_or_finish(const std::filesystem::path& root,
                                                     installer_log& log, int& exit_code,
                                                     caller who) {
  auto lock = take(root, who);
  if (lock)
    return std::move(*lock);
  exit_code = log.finish(code_of(lock.error()) == ec::busy ? installer_exit::busy
                                                            : installer_exit::fatal,
                         render(lock.error()));
  return std::nullopt;
}

} // namespace vigil
