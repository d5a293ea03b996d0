#include "installer/native_package.hpp"

#include <cstdio>
#include <filesystem>
#include <map>
#include <openssl/evp.h>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "common/text.hpp"
#include "host/paths.hpp"
#include "host/systemd_service.hpp"
#include "installer/archive_io.hpp"
#include "installer/enrollment.hpp"
#include "installer/maintainer_scripts.hpp"

namespace vigil {

namespace {


std::string md5_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_md5(), nullptr);
  std::string hex;
  char two[3];
  for (unsigned i = 0; i < size; ++i) {
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    hex += two;
  }
  return hex;
}

/// One member of a Debian package's `ar` archive: the common format dpkg
/// itself writes (name padded to 16, decimal fields, even padding).
void ar_member(std::string& out, std::string_view name, std::string_view bytes) {
  char header[61];
  std::snprintf(header, sizeof header, "%-16.16s%-12u%-6u%-6u%-8o%-10zu`\n",
                std::string{name}.c_str(), 0u, 0u, 0u, 0100644u, bytes.size());
  out.append(header, 60);
  out.append(bytes);
  if (bytes.size() % 2)
    out += '\n';
}

/// `control` with its Version and Installed-Size fields replaced.
std::string control_for(const std::string& control, const std::string& version,
                        uint64_t installed_kib) {
  std::istringstream lines{control};
  std::string out;
  bool has_size = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("Version:"))
      line = "Version: " + version;
    else if (line.starts_with("Installed-Size:")) {
      line = "Installed-Size: " + std::to_string(installed_kib);
      has_size = true;
    }
    if (!line.empty())
      out += line + "\n";
  }
  if (!has_size)
    out += "Installed-Size: " + std::to_string(installed_kib) + "\n";
  return out;
}

} // namespace

extract_format native_package_format() noexcept {
  return extract_format::deb;
}

extract_format auto_extract_format() {
  std::error_code ignored;
  return std::filesystem::exists("/usr/bin/dpkg", ignored) ? extract_format::deb
                                                           : extract_format::tar;
}

caf::expected<linux_package_contents> read_linux_package_contents(std::string_view payload,
                                                                  std::string_view enrollment) {
  linux_package_contents out;
  auto members = read_archive_files(payload);
  if (!members)
    return members.error();
  out.payload = std::move(*members);
  auto version = out.payload.find("VERSION");
  auto control = out.payload.find(std::string{native_package_dir} + "control");
  if (version == out.payload.end() || control == out.payload.end())
    return make_error(ec::not_found, "the payload has no VERSION or "
                                       + std::string{native_package_dir} + "control");
  out.version = std::string{trim_blanks_and_line_breaks(version->second.bytes)};
  out.control = control->second.bytes;
  for (auto& [path, m] : out.payload)
    if (path.starts_with("bin/") && path.find('/', 4) == std::string::npos)
      out.files.emplace("opt/vigil/" + path, &m);
  out.files.emplace("opt/vigil/VERSION", &version->second);
  // The unit has one source (host/service_manager), as in CPack's package.
  out.made.emplace("lib/systemd/system/vigil-agent.service",
                   archive_member_file{systemd_unit_text(paths{"/"}), 0644});
  // An installer made for one platform (vigil-platform package): postinst
  // enrolls with it when install.conf does not say otherwise.
  if (!enrollment.empty()) {
    auto enrolled = read_archive_files(enrollment);
    if (!enrolled)
      return enrolled.error();
    for (auto name : {enrollment_conf_name, enrollment_ca_name})
      if (auto it = enrolled->find(std::string{name}); it != enrolled->end())
        out.made.emplace(std::string{packaged_enrollment_dir} + "/" + it->first,
                         std::move(it->second));
  }
  for (auto& [path, m] : out.made)
    out.files.emplace(path, &m);
  return out;
}

caf::expected<std::string> make_native_package(std::string_view payload,
                                               std::string_view enrollment) {
  auto contents = read_linux_package_contents(payload, enrollment);
  if (!contents)
    return contents.error();
  auto& members = contents->payload;
  auto& files = contents->files;
  // Debian's policy files and lintian's overrides (SPEC §1 puts the program
  // files in /opt/vigil, which Debian keeps for packages it does not ship),
  // as CPack's .deb has them (a payload from before they existed has none).
  for (auto [carried, installed] : native_package_files)
    if (auto it = members.find(std::string{native_package_dir}.append(carried));
        it != members.end())
      files.emplace(std::string{installed}, &it->second);

  tar_xz_writer data;
  std::set<std::string> dirs;
  uint64_t bytes = 0;
  std::string md5sums;
  if (auto ok = data.directory("./"); !ok)
    return ok.error();
  for (auto& [path, m] : files) {
    // Each parent directory once, before its first file.
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      auto dir = path.substr(0, slash + 1);
      if (dirs.insert(dir).second)
        if (auto ok = data.directory("./" + dir); !ok)
          return ok.error();
    }
    if (auto ok = data.file("./" + path, m->mode, m->bytes); !ok)
      return ok.error();
    bytes += m->bytes.size();
    md5sums += md5_hex(m->bytes) + "  " + path + "\n";
  }
  auto data_tar = data.finish();
  if (!data_tar)
    return data_tar.error();

  tar_xz_writer control_tar;
  auto control_text = control_for(contents->control, contents->version, (bytes + 1023) / 1024);
  for (auto ok : {control_tar.directory("./"), control_tar.file("./control", 0644, control_text),
                  control_tar.file("./md5sums", 0644, md5sums)})
    if (!ok)
      return ok.error();
  // Install, upgrade and removal run setup's and the uninstaller's code
  // (installer/package_script.hpp); the scripts only call it.
  for (auto& [name, text] : maintainer_scripts())
    if (auto ok = control_tar.file("./" + name, 0755, text); !ok)
      return ok.error();
  if (auto ok = control_tar.file("./templates", 0644, debconf_templates()); !ok)
    return ok.error();
  auto control_bytes = control_tar.finish();
  if (!control_bytes)
    return control_bytes.error();

  std::string deb = "!<arch>\n";
  ar_member(deb, "debian-binary", "2.0\n");
  ar_member(deb, "control.tar.xz", *control_bytes);
  ar_member(deb, "data.tar.xz", *data_tar);
  return deb;
}

} // namespace vigil
