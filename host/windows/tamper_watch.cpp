// The tamper watch on Windows (tamper_watch.hpp): none yet. Self-protection
// does not run in the Windows build (actors/protector_host.hpp says why to
// the protector), so nothing opens one; should anything, `open` answers
// none, which its callers take for "poll instead". A Windows watch would sit
// on ReadDirectoryChangesW, which names no process behind a change.
#include "host/tamper_watch.hpp"

namespace vigil {

tamper_watch::~tamper_watch() = default;

std::unique_ptr<tamper_watch> tamper_watch::open(const std::vector<std::filesystem::path>&) {
  return nullptr;
}

} // namespace vigil
