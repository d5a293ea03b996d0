#pragma once

#include <caf/expected.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "host/program_integrity.hpp"
#include "installer/version_order.hpp"

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

/// Marks an attachment between the setup program and the payload archive:
/// `program, attachment, magic, size (8-byte little-endian), archive,
/// trailer`. `vigil-platform package` attaches its enrollment there, so the
/// payload's bytes (compressed once, at build time) stay as they are.
inline constexpr std::string_view attachment_magic = "VIGIL-ATTACH-1";

/// The setup program of the vigil-setup file `file`: the bytes before its
/// attachment, or before its payload when it has none (`ec::not_found`
/// without a trailer).
caf::expected<std::string> read_setup_program(const std::filesystem::path& file);

/// The attachment of the vigil-setup file `file` (`attachment_magic`);
/// `ec::not_found` when it has none.
caf::expected<std::string> read_setup_attachment(const std::filesystem::path& file);

/// `program` followed by `attachment` (when not empty, with its marker),
/// `archive` and the trailer: a vigil-setup file.
std::string packed_setup(std::string program, std::string_view archive,
                         std::string_view attachment = {});

/// The expanded form of the vigil-setup file whose bytes are `package`
/// (SPEC §12, binary patches): its setup program (without any attachment),
/// its payload archive decompressed, and the trailer — itself a valid
/// vigil-setup file, and what patches between releases are made from and
/// rebuild: compressed bytes differ entirely after the first change, the
/// programs inside do not. `name` names the file in errors.
caf::expected<std::string> expand_package(std::string_view package, std::string_view name);

/// The payload archive (compressed, as built) of the vigil-setup file whose
/// bytes are `package`; `name` names the file in errors.
caf::expected<std::string> package_payload(std::string_view package, std::string_view name);

/// The program files the payload `archive` installs: every regular member
/// outside `skip` (the native package's "package/"), with the SHA-256, size
/// and mode setup's reference list records for it once extracted — what the
/// platform signs as `release_metadata::files_sha256`.
caf::expected<std::vector<program_file>> payload_program_files(std::string_view archive,
                                                               std::string_view skip);

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

} // namespace vigil
