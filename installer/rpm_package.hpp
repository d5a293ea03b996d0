#pragma once

#include <caf/expected.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

/// The .rpm of the agent made from a vigil-setup payload (issue 19, items 2
/// and 3): the build's own `vigil-agent-<ver>-1.x86_64.rpm` and the enrolled
/// one `vigil-platform package --type rpm` makes, by the same code, so the two
/// cannot drift. It holds
///   /opt/vigil/bin/*                          the payload's bin/ (modes kept)
///   /opt/vigil/VERSION                        the payload's VERSION
///   /lib/systemd/system/vigil-agent.service   `systemd_unit_text` for /
///   /usr/share/vigil-agent/{enroll.conf,ca.pem}   with an `enrollment`
/// with the scriptlets `maintainer_scripts(package_format::rpm)` (vigil-setup's
/// and vigil-uninstall's steps), `Requires: tzdata` and the libraries
/// rpmbuild finds the programs need, summary and description from the
/// payload's package/control.
///
/// Made by rpmbuild (Debian's and RHEL's rpm / rpm-build packages) over a
/// staged tree rather than by hand-written RPM headers: rpm's own library
/// writes its format, digests and dependency tags. Without rpmbuild the
/// error is `ec::not_found` and names the package to install. The same payload
/// gives the same files, times and scriptlets (SOURCE_DATE_EPOCH: 2024-01-01).
caf::expected<std::string> make_rpm_package(std::string_view payload,
                                            std::string_view enrollment = {});

/// The file name rpmbuild gives the package of `version`:
/// `vigil-agent-<version>-1.x86_64.rpm`.
std::string rpm_package_name(std::string_view version);

/// The value of `field` in a Debian control file (`Description`), with its
/// continuation lines joined by line breaks (" ." lines become empty lines),
/// or empty when the field is missing.
std::string control_field(std::string_view control, std::string_view field);

} // namespace vigil
