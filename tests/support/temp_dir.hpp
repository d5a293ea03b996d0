#pragma once

#include <filesystem>
#include <string>

namespace vigil::test {

/// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

/// Whether temporary directories are kept for a look after the run
/// (VIGIL_TEST_KEEP_DIRS set and not empty, e.g. to read the logs of a daemon
/// whose case failed under a sanitizer); when so, names `dir` on stderr.
/// temp_dir's destructor asks it before removing anything.
bool keep_for_diagnosis(const std::filesystem::path& dir);

/// Reads a whole file as bytes; empty when it does not exist.
std::string read_file(const std::filesystem::path& file);

/// Writes `bytes` to `file`, creating parent directories.
void write_file(const std::filesystem::path& file, const std::string& bytes);

} // namespace vigil::test
