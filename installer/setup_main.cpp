// vigil-setup: silent install, in-place upgrade and extraction (SPEC §3).

#include <cstdlib>
#include <iostream>
#include <optional>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "host/paths.hpp"
#include "host/process_id.hpp"
#include "installer/archive_io.hpp"
#include "installer/enrollment.hpp"
#include "installer/install_run.hpp"
#include "installer/installer_log.hpp"
#include "installer/native_package.hpp"
#include "installer/payload.hpp"
#include "installer/setup_args.hpp"
#include "installer/setup_lock.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

/// The CA an enrollment carries, written out while setup runs.
struct enrollment_ca {
  fs::path file;
  ~enrollment_ca() {
    std::error_code ignored;
    if (!file.empty())
      fs::remove_all(file.parent_path(), ignored);
  }
};

/// `args` under the enrollment attached to this vigil-setup, if any.
std::vector<std::string> with_enrollment(const std::vector<std::string>& args, enrollment_ca& ca) {
  auto attachment = read_setup_attachment(current_program_file());
  if (!attachment)
    return args;
  auto files = read_archive_files(*attachment);
  if (!files)
    return args;
  auto conf = files->find(std::string{enrollment_conf_name});
  if (conf == files->end())
    return args;
  std::optional<fs::path> ca_file;
  if (auto pem = files->find(std::string{enrollment_ca_name}); pem != files->end()) {
    std::error_code no_temp;
    auto temp = fs::temp_directory_path(no_temp);
    if (auto dir = make_private_directory(temp, "vigil-enroll-"); !no_temp && dir) {
      ca.file = *dir / "ca.pem";
      if (write_file_atomically(ca.file, pem->second.bytes, 0600))
        ca_file = ca.file;
    }
  }
  return merge_install_args(enrollment_args(conf->second.bytes, ca_file), args);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto root = paths::take_root_option(args);
  // An installer made for one platform (vigil-platform package) carries its
  // enrollment: the defaults of a fresh install, replaced key by key by the
  // arguments given. Its CA goes to a private file for CaBundle=.
  enrollment_ca ca;
  args = with_enrollment(args, ca);
  auto request = parse_setup_args(args);
  if (!request) {
    std::cerr << "vigil-setup: " << context_of(request.error()) << "\n";
    return installer_exit::invalid_command_line;
  }
  if (request->action == setup_action::help) {
    std::cout << setup_usage();
    return installer_exit::success;
  }
  // A TrustKey that is no key, or a `/p -` password that does not come, is a
  // bad command line: refused before anything is written.
  auto trust_root = complete_request(*request, 0); // standard input
  if (!trust_root) {
    std::cerr << "vigil-setup: " << context_of(trust_root.error()) << "\n";
    return installer_exit::invalid_command_line;
  }
  auto p = paths::from_environment(root);
  std::error_code ignored;
  fs::create_directories(p.root(), ignored);
  installer_log log{p, "vigil-setup"};
  log.write("run: " + to_log_string(*request));
  int refused = 0;
  auto lock = setup_lock::take_or_finish(p.root(), log, refused);
  if (!lock)
    return refused;
  auto self = current_program_file();
  auto payload = read_embedded_payload(self);
  if (!payload)
    return log.finish(installer_exit::fatal, "no agent payload: " + render(payload.error()));
  auto version = archive_member(*payload, "VERSION");
  if (!version)
    return log.finish(installer_exit::fatal, render(version.error()));
  auto payload_version = trimmed(*version);
  if (request->action == setup_action::extract) {
    auto format = request->extract == extract_format::auto_detect ? auto_extract_format()
                                                                   : request->extract;
    // ExtractMSI= writes next to vigil-setup.exe, as the guide's does.
    fs::path dir = request->extract_dir               ? fs::path{*request->extract_dir}
                   : request->extract_next_to_program ? self.parent_path()
                                                      : fs::current_path();
    auto name = extracted_package_name(format, payload_version);
    std::string bytes = *payload;
    if (format != extract_format::tar) {
      if (format != native_package_format()) {
        std::string maker = format == extract_format::msi ? "the Windows vigil-setup.exe"
                                                          : "a Linux vigil-setup";
        return log.finish(installer_exit::fatal,
                          std::string{"Extract="} + to_string(format) + ": this vigil-setup makes "
                            + to_string(native_package_format()) + " packages; " + maker
                            + " makes the " + to_string(format));
      }
      // Made from the payload's programs (they are in it once, not also
      // inside an embedded package): the package always matches what installs.
      // An enrolled vigil-setup's package enrolls the same way.
      auto attachment = read_setup_attachment(self);
      auto package = make_native_package(*payload, attachment ? *attachment : std::string{});
      if (!package)
        return log.finish(installer_exit::fatal, render(package.error()));
      bytes = std::move(*package);
    }
    if (auto ok = write_file_atomically(dir / name, bytes, 0644); !ok)
      return log.finish(installer_exit::fatal, render(ok.error()));
    return log.finish(installer_exit::success, "wrote " + (dir / name).string());
  }
  // The install steps are shared with the native package's postinst.
  // The native package's control file stays in the payload.
  auto unpack = [&](const fs::path& dir) { return extract_archive(*payload, dir, native_package_dir); };
  return run_install(p, *request, std::move(*trust_root), log,
                     install_source{unpack, payload_version, false, self});
}
