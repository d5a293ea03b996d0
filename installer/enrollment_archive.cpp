// enrollment_attachment and make_enrolled_installer, apart from the rest of
// enrollment.hpp: they need libarchive, which the installed programs
// (vigil-uninstall runs the package's scripts) do not link.

#include "installer/enrollment.hpp"

#include "installer/archive_io.hpp"
#include "installer/native_package.hpp"
#include "installer/payload.hpp"
#include "installer/rpm_package.hpp"

namespace vigil {

caf::expected<std::string> enrollment_attachment(const enrollment& e) {
  tar_xz_writer out;
  for (auto ok : {out.directory("./"),
                  out.file("./" + std::string{enrollment_conf_name}, 0644, enrollment_conf_text(e)),
                  out.file("./" + std::string{enrollment_ca_name}, 0644, e.ca_pem)})
    if (!ok)
      return ok.error();
  return out.finish();
}

caf::expected<std::string> make_enrolled_installer(const std::filesystem::path& setup,
                                                   const enrollment& e, installer_kind kind) {
  auto payload = read_embedded_payload(setup);
  if (!payload)
    return payload.error();
  auto attachment = enrollment_attachment(e);
  if (!attachment)
    return attachment.error();
  if (kind == installer_kind::deb)
    return make_native_package(*payload, *attachment);
  if (kind == installer_kind::rpm)
    return make_rpm_package(*payload, *attachment);
  auto program = read_setup_program(setup);
  if (!program)
    return program.error();
  return packed_setup(std::move(*program), *payload, *attachment);
}

} // namespace vigil
