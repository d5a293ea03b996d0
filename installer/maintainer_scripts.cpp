#include "installer/maintainer_scripts.hpp"

#include "host/paths.hpp"
#include "installer/uninstall_run.hpp"

namespace vigil {

namespace {

/// `path` (absolute, of the real root) under `$DPKG_ROOT`, quoted for sh.
std::string under_dpkg_root(const std::filesystem::path& path) {
  std::string quoted = "'";
  for (char c : path.string())
    quoted += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return "\"$DPKG_ROOT\"" + quoted + "'";
}

/// The head of postinst and prerm: the program that does the work.
std::string program_lines(const paths& p) {
  return "program=" + under_dpkg_root(p.bin_dir() / "vigil-uninstall") + "\n";
}

std::string exec_line(std::string_view script) {
  return "exec \"$program\" --root \"${DPKG_ROOT:-/}\" " + std::string{package_script_option} + " "
         + std::string{script} + " \"$@\"\n";
}

} // namespace

std::vector<std::pair<std::string, std::string>> maintainer_scripts() {
  paths p{"/"};
  std::string postinst = "#!/bin/sh\n"
                         "# vigil-agent postinst: vigil-setup's install steps (an upgrade is\n"
                         "# PatchInstall=TRUE), run by the installed vigil-uninstall with the\n"
                         "# configuration in "
                         + p.install_conf().string()
                         + " (README: Native packages).\n"
                           "set -e\n"
                         + program_lines(p) + exec_line("postinst");
  std::string prerm = "#!/bin/sh\n"
                      "# vigil-agent prerm: removal is vigil-uninstall Uninstall=True (with\n"
                      "# SPFKEY=\"$"
                      + std::string{spfkey_variable}
                      + "\" while self-protection is on); an upgrade stops\n"
                        "# the agent while dpkg replaces its files.\n"
                        "set -e\n"
                      + program_lines(p)
                      + "if [ ! -x \"$program\" ]; then\n"
                        "  case \"$1\" in\n"
                        "    remove)\n"
                        "      echo \"vigil-agent prerm: $program is missing: install the package "
                        "again, then remove it\" >&2\n"
                        "      exit 1 ;;\n"
                        "    *) exit 0 ;;\n"
                        "  esac\n"
                        "fi\n"
                      + exec_line("prerm");
  std::string purge;
  for (auto& file : identity_files(p))
    purge += "    rm -f " + under_dpkg_root(file) + "\n";
  auto log = p.installer_log();
  std::string postrm
    = "#!/bin/sh\n"
      "# vigil-agent postrm: purge is vigil-uninstall Force=True. prerm has removed\n"
      "# the agent; the identity (hive, host key) goes now. The programs are gone\n"
      "# by then, so the list is written here (installer/uninstall_run.cpp's\n"
      "# identity_files).\n"
      "set -e\n"
      "case \"$1\" in\n"
      "  purge)\n"
      + purge + "    rmdir " + under_dpkg_root(p.hive_file().parent_path())
      + " 2>/dev/null || true\n"
        "    if [ -d "
      + under_dpkg_root(log.parent_path()) + " ]; then\n"
      + "      echo \"$(date -u +%Y-%m-%dT%H:%M:%SZ) vigil-agent.postrm[$$] purge: hive and host "
        "key removed (Force=True)\" \\\n"
        "        >>"
      + under_dpkg_root(log) + " 2>/dev/null || true\n"
      + "    fi\n"
        "    ;;\n"
        "esac\n"
        "exit 0\n";
  return {{"postinst", postinst}, {"prerm", prerm}, {"postrm", postrm}};
}

} // namespace vigil
