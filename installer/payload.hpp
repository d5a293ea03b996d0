#pragma once

#include <caf/expected.hpp>
#include <filesystem>
#include <string>
#include <string_view>

namespace vigil {

/// The agent payload vigil-setup carries (SPEC §3: one self-contained file).
/// The file is the setup program followed by a tar archive of the payload and
/// a trailer: the magic `VIGIL-PAYLOAD-1`, then the archive's offset and size
/// as 8-byte little-endian numbers. The archive holds `bin/` (the programs,
/// stripped, and the health report's schema), `VERSION`, and `package/` (the
/// native package's control file and unit: `make_native_package` builds the
/// .deb from these and the loose programs, which are in the payload once).
inline constexpr std::string_view payload_magic = "VIGIL-PAYLOAD-1";

/// Reads the payload archive appended to `file` (normally /proc/self/exe). A
/// file without a trailer (a bare build of the stub) is `ec::not_found`.
caf::expected<std::string> read_embedded_payload(const std::filesystem::path& file);

/// Writes `stub` followed by `archive` and the trailer to `out` (the build's
/// `vigil-pack` step, and tests that make payloads of other versions).
caf::expected<void> pack_payload(const std::filesystem::path& stub, const std::string& archive,
                                 const std::filesystem::path& out);

/// Extracts a tar archive (in memory) below `destination`, refusing absolute
/// paths, `..` and symlink escapes, keeping file modes. Members under
/// `skip` (a directory, "package/") are left out when it is given.
caf::expected<void> extract_archive(std::string_view archive,
                                    const std::filesystem::path& destination,
                                    std::string_view skip = {});

/// The content of the archive member `name` (e.g. "VERSION"), or not_found.
caf::expected<std::string> archive_member(std::string_view archive, std::string_view name);

/// Compares dotted versions numerically ("0.10.0" > "0.9.1"): <0, 0, >0.
int compare_versions(std::string_view a, std::string_view b);

} // namespace vigil
