#include "storage/rocksdb_status.hpp"

#include <string>

#include "common/error.hpp"

namespace vigil {

namespace {

ec code_for(const rocksdb::Status& status) {
  // NoSpace is a sub-code of IOError, so it is tested first.
  if (status.IsNoSpace())
    return ec::disk_full;
  if (status.IsCorruption())
    return ec::corruption;
  if (status.IsIOError())
    return ec::io_error;
  if (status.IsBusy() || status.IsTryAgain() || status.IsTimedOut())
    return ec::busy;
  return ec::storage_error;
}

} // namespace

caf::error from_rocksdb(const rocksdb::Status& status, std::string_view operation,
                        const std::filesystem::path& dir) {
  std::string context{operation};
  context += " in store ";
  context += dir.string();
  context += ": ";
  context += status.ToString();
  return make_error(code_for(status), std::move(context));
}

} // namespace vigil
