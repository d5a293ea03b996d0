#pragma once

#include <caf/expected.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

/// What an installer made for one platform carries (`vigil-platform
/// package`, issue 19 item 3), so that `vigil-setup` with no arguments, or
/// the native package with no install.conf, enrolls the host there.
struct enrollment {
  std::string customer_id;     ///< `CustomerId=`
  std::string activation_id;   ///< `ActivationId=`
  std::string web_service_uri; ///< `WebServiceUri=`
  std::string ca_pem;          ///< the platform's CA, installed as `CaBundle=` installs it
  std::string trust_key;       ///< the platform's public root key, pinned as `TrustKey=` pins it
};

/// The files of an enrollment, in the attachment of an enrolled vigil-setup
/// (`read_setup_attachment`: a small tar.xz) and in the native package's
/// `packaged_enrollment_dir`: `enroll.conf`, in install.conf's format
/// (CustomerId=, ActivationId=, WebServiceUri=, TrustKey=<key text>), and the
/// CA beside it.
inline constexpr std::string_view enrollment_conf_name = "enroll.conf";
inline constexpr std::string_view enrollment_ca_name = "ca.pem";

/// Where the native package installs them (`<root>/usr/share/vigil-agent/`),
/// for its postinst.
inline constexpr std::string_view packaged_enrollment_dir = "usr/share/vigil-agent";

/// The enroll.conf text of `e`.
std::string enrollment_conf_text(const enrollment& e);

/// The attachment that carries `e` (a tar.xz of `enrollment_conf_name` and
/// `enrollment_ca_name`).
caf::expected<std::string> enrollment_attachment(const enrollment& e);

/// What `make_enrolled_installer` makes.
enum class installer_kind {
  setup, ///< a vigil-setup file
  deb,   ///< the .deb (`make_native_package`)
  rpm,   ///< the .rpm (`make_rpm_package`; needs rpmbuild where it is made)
};

/// The installer of `kind` made from the vigil-setup file `setup` and `e`:
/// the same program and payload with `e` attached (`packed_setup`), or the
/// .deb or .rpm made from them (`make_native_package`, `make_rpm_package`).
/// `vigil-setup` with no arguments, or `dpkg -i` / `rpm -i` with no
/// install.conf, enrolls the host with `e`'s platform; arguments given at
/// install replace its values.
caf::expected<std::string> make_enrolled_installer(const std::filesystem::path& setup,
                                                   const enrollment& e, installer_kind kind);

/// The install arguments an enrollment gives: the lines of its `conf`, and
/// `CaBundle=<ca_file>` when it carries a CA (written out to `ca_file`).
std::vector<std::string> enrollment_args(std::string_view conf,
                                         const std::optional<std::filesystem::path>& ca_file);

/// `defaults` under `given` (setup's arguments, install.conf's lines): a key
/// that `given` has replaces the default of that key (keys compared without
/// case), the other defaults stay. Defaults describe a fresh install: when
/// `given` asks for anything else (PatchInstall, Extract, Dir, SelfPatch, help)
/// it is returned as it is.
std::vector<std::string> merge_install_args(const std::vector<std::string>& defaults,
                                            const std::vector<std::string>& given);

} // namespace vigil
