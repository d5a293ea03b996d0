#include "installer/rpm_package.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "common/error.hpp"
#include "common/text.hpp"
#include "host/atomic_file.hpp"
#include "host/process.hpp"
#include "installer/enrollment.hpp"
#include "installer/maintainer_scripts.hpp"
#include "installer/native_package.hpp"

namespace vigil {

namespace fs = std::filesystem;

namespace {

/// `text` as literal spec text: rpm expands every `%` (macros), even in
/// scriptlets and the description.
std::string spec_literal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '%')
      out += '%';
    out += c;
  }
  return out;
}

/// rpm's Version tag takes letters, digits and `._+~^` (no `-`, which
/// separates the release).
bool valid_rpm_version(std::string_view version) {
  if (version.empty())
    return false;
  for (char c : version)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+'
          || c == '~' || c == '^'))
      return false;
  return true;
}

/// The project has chosen no licence yet (usr/share/doc/vigil-agent/copyright
/// in the .deb says so); CPack's .rpm said the same.
constexpr std::string_view rpm_license = "unknown";

/// Removes the work directory of one build, whatever happened in it.
struct removed_at_exit {
  fs::path dir;
  ~removed_at_exit() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

} // namespace

std::string rpm_package_name(std::string_view version) {
  return "vigil-agent-" + std::string{version} + "-1.x86_64.rpm";
}

std::string control_field(std::string_view control, std::string_view field) {
  std::istringstream lines{std::string{control}};
  std::string value;
  bool in_field = false;
  for (std::string line; std::getline(lines, line);) {
    if (in_field && (line.starts_with(" ") || line.starts_with("\t"))) {
      auto rest = line.substr(1);
      value += "\n" + (rest == "." ? std::string{} : rest);
      continue;
    }
    if (in_field)
      break;
    auto colon = line.find(':');
    if (colon != std::string::npos && line.compare(0, colon, field) == 0) {
      in_field = true;
      value = std::string{trim_blanks_and_line_breaks(line.substr(colon + 1))};
    }
  }
  return value;
}

caf::expected<std::string> make_rpm_package(std::string_view payload,
                                            std::string_view enrollment) {
  auto rpmbuild = find_program("rpmbuild");
  if (!rpmbuild)
    return make_error(ec::not_found, "rpmbuild is not installed: the .rpm is made with it "
                                     "(Debian: apt install rpm; RHEL: dnf install rpm-build)");
  auto contents = read_linux_package_contents(payload, enrollment);
  if (!contents)
    return contents.error();
  auto& version = contents->version;
  if (!valid_rpm_version(version))
    return make_error(ec::invalid_argument,
                      "the payload's VERSION '" + version + "' is not an rpm version");
  // The package owns the enrollment's directory when it carries any of its files.
  bool enrolled = std::ranges::any_of(contents->made, [](const auto& file) {
    return file.first.starts_with(packaged_enrollment_dir);
  });

  auto work = make_private_directory(fs::temp_directory_path(), "vigil-rpm-");
  if (!work)
    return work.error();
  removed_at_exit cleanup{*work};
  auto tree = *work / "tree";
  for (auto& [path, m] : contents->files)
    if (auto ok = write_file_atomically(tree / path, m->bytes, m->mode); !ok)
      return ok.error();

  auto description = control_field(contents->control, "Description");
  auto summary = description.substr(0, description.find('\n'));
  auto details = description.find('\n') == std::string::npos
                   ? summary
                   : description.substr(description.find('\n') + 1);
  std::string spec = "Name: vigil-agent\nVersion: " + version
                     + "\nRelease: 1\nSummary: " + spec_literal(summary)
                     + "\nLicense: " + std::string{rpm_license}
                     + "\nGroup: System Environment/Daemons\nVendor: Vigil developers\n"
                       "BuildArch: x86_64\n"
                       // Blackout windows name IANA time zones (the system tz database).
                       "Requires: tzdata\n"
                       // The payload's programs are already stripped, and ship as they
                       // are: no debug package, no build-id links, no rewriting.
                       "%define _build_id_links none\n"
                       "%define __os_install_post %{nil}\n"
                       "%define debug_package %{nil}\n"
                       "%description\n"
                     + spec_literal(details) + "\n%install\ncp -a '" + tree.string()
                     + "'/. %{buildroot}/\n";
  // Install, upgrade and removal run setup's and the uninstaller's code
  // (installer/package_script.hpp); the scriptlets only call it.
  for (auto& [name, text] : maintainer_scripts(package_format::rpm))
    spec += "%" + name + "\n" + spec_literal(text);
  // Directories other packages own (filesystem, systemd) are not listed.
  spec += "%files\n%defattr(-,root,root,0755)\n%dir /opt/vigil\n%dir /opt/vigil/bin\n";
  if (enrolled)
    spec += "%dir /" + std::string{packaged_enrollment_dir} + "\n";
  for (auto& [path, m] : contents->files)
    spec += "/" + path + "\n";
  auto spec_file = *work / "vigil-agent.spec";
  if (auto ok = write_file_atomically(spec_file, spec, 0644); !ok)
    return ok.error();

  program_options options;
  // xz -9 over the 30 MB of programs: about 15 s on one core (and 5.5 MB
  // rather than the 6.8 MB of -6 in parallel blocks).
  options.timeout = std::chrono::minutes{10};
  options.merge_output = true;
  options.own_process_group = true;
  // Its own HOME (no ~/.rpmmacros of whoever runs this), and the build time
  // and every file's time fixed at 2024-01-01, as the .deb's (archive_io):
  // the same payload gives the same package contents.
  options.environment = std::vector<std::string>{
    "PATH=" + std::string{system_program_path}, "HOME=" + work->string(),
    "SOURCE_DATE_EPOCH=1704067200", "LC_ALL=C"};
  auto top = *work / "top";
  auto out = *work / "out";
  auto built = run_program({rpmbuild->string(), "-bb", "--quiet",
                            "--define", "_topdir " + top.string(),
                            "--define", "_rpmdir " + out.string(),
                            "--define", "_buildhost vigil",
                            "--define", "use_source_date_epoch_as_buildtime 1",
                            "--define", "clamp_mtime_to_source_date_epoch 1",
                            "--define", "_binary_payload w9.xzdio",
                            spec_file.string()},
                           options);
  if (!built)
    return built.error();
  if (!built->succeeded())
    return make_error(ec::io_error, "rpmbuild failed: " + built->out);
  auto rpm = read_whole_file(out / "x86_64" / rpm_package_name(version));
  if (!rpm)
    return make_error(ec::io_error, "rpmbuild wrote no " + rpm_package_name(version) + ": "
                                      + built->out);
  return std::move(*rpm);
}

} // namespace vigil
