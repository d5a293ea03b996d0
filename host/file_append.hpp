#pragma once

#include <caf/expected.hpp>
#include <filesystem>
#include <string_view>

// Durable appends, for a file that grows piece by piece and must resume
// after a crash where it stopped: the self-upgrade's package download
// (SPEC §12). Whole files that must never be seen half-written go through
// atomic_file.hpp instead.

namespace vigil {

/// Appends `bytes` to `file` (created readable by its owner alone when
/// missing) and returns once they are on disk (fdatasync, FlushFileBuffers):
/// a piece appended survives a crash right after. A symbolic link (a reparse
/// point on Windows) at `file` is refused rather than followed.
caf::expected<void> append_durably(const std::filesystem::path& file, std::string_view bytes);

} // namespace vigil
