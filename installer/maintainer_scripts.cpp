#include "installer/maintainer_scripts.hpp"

#include "host/paths.hpp"
#include "installer/uninstall_run.hpp"

namespace vigil {

namespace {

/// `text` quoted for sh.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

/// `path` (absolute, of the real root) as the scripts name it: under
/// `$DPKG_ROOT` for dpkg; as it is for rpm, which chroots into its root.
std::string under_root(const std::filesystem::path& path, package_format format) {
  return (format == package_format::deb ? "\"$DPKG_ROOT\"" : "") + quoted(path.string());
}

/// The head of every script that runs it: the program that does the work.
std::string program_lines(const paths& p, package_format format) {
  return "program=" + under_root(p.bin_dir() / "vigil-uninstall", format) + "\n";
}

/// The line that hands the script's work to the program; `args` are its
/// package-script arguments ("\"$@\"" for dpkg's own).
std::string exec_line(std::string_view script, package_format format,
                      std::string_view args = "\"$@\"") {
  std::string root = format == package_format::deb ? "\"${DPKG_ROOT:-/}\"" : "/";
  return "exec \"$program\" --root " + root + " " + std::string{package_script_option} + " "
         + std::string{script} + " " + std::string{args} + "\n";
}

/// What removes the identity once the programs are gone (dpkg's purge, an
/// rpm erase with `purge_variable`): `identity_files`, their directory and
/// a line in the installer's log from `who`, indented by `indent`.
std::string purge_lines(const paths& p, package_format format, const std::string& indent,
                        const std::string& who) {
  std::string out;
  for (auto& file : identity_files(p))
    out += indent + "rm -f " + under_root(file, format) + "\n";
  auto log = p.installer_log();
  out += indent + "rmdir " + under_root(p.hive_file().parent_path(), format)
         + " 2>/dev/null || true\n" + indent + "if [ -d " + under_root(log.parent_path(), format)
         + " ]; then\n" + indent + "  echo \"$(date -u +%Y-%m-%dT%H:%M:%SZ) " + who
         + "[$$] purge: hive and host key removed (Force=True)\" \\\n" + indent + "    >>"
         + under_root(log, format) + " 2>/dev/null || true\n" + indent + "fi\n";
  return out;
}

/// The shell test for a usable debconf: its module on this system and its
/// configuration in the root dpkg installs into (debconf follows DPKG_ROOT).
const std::string debconf_present
  = "[ -e /usr/share/debconf/confmodule ] && [ -e \"$DPKG_ROOT\"/etc/debconf.conf ]";

/// The keys `debconf_templates` asks for, in its order.
constexpr std::string_view debconf_keys[] = {"CustomerId", "ActivationId", "WebServiceUri",
                                             "CaBundle",   "TrustKey",     "GoldenImage"};

/// postinst's reading of the preseeded answers: only for `configure` without
/// install.conf, and only where debconf is (its configuration in the root
/// dpkg installs into: debconf follows DPKG_ROOT). confmodule runs the script
/// again under debconf's frontend; db_stop ends the conversation. An answer
/// of "false" (GoldenImage's default) is no answer: it changes nothing, and
/// with nothing preseeded "no configuration" stays the error.
std::string debconf_lines(const paths& p) {
  std::string keys;
  for (auto key : debconf_keys)
    keys += (keys.empty() ? "" : " ") + std::string{key};
  const std::string variable{debconf_variable};
  return "if [ \"$1\" = configure ] && [ ! -e " + under_root(p.install_conf(), package_format::deb)
         + " ] && " + debconf_present + "; then\n"
           "  . /usr/share/debconf/confmodule\n"
           "  "
         + variable
         + "=\n"
           "  for key in "
         + keys
         + "; do\n"
           "    if db_get \"vigil-agent/$key\" && [ -n \"$RET\" ] && [ \"$RET\" != false ]; then\n"
           "      "
         + variable + "=\"$" + variable
         + "$key=$RET\n"
           "\"\n"
           "    fi\n"
           "  done\n"
           "  db_stop\n"
           "  export "
         + variable + "\nfi\n";
}

std::vector<std::pair<std::string, std::string>> deb_scripts() {
  const auto format = package_format::deb;
  paths p{"/"};
  std::string postinst = "#!/bin/sh\n"
                         "# vigil-agent postinst: vigil-setup's install steps (an upgrade is\n"
                         "# PatchInstall=TRUE), run by the installed vigil-uninstall with the\n"
                         "# configuration in "
                         + p.install_conf().string()
                         + " (README: Native packages), or, when that file does not\n"
                           "# exist, the answers preseeded in debconf (vigil-agent/CustomerId ...).\n"
                           "set -e\n"
                         + program_lines(p, format) + debconf_lines(p) + exec_line("postinst", format);
  std::string prerm = "#!/bin/sh\n"
                      "# vigil-agent prerm: removal is vigil-uninstall Uninstall=True (with\n"
                      "# SPFKEY=\"$"
                      + std::string{spfkey_variable}
                      + "\" while self-protection is on); an upgrade stops\n"
                        "# the agent while dpkg replaces its files.\n"
                        "set -e\n"
                      + program_lines(p, format)
                      + "if [ ! -x \"$program\" ]; then\n"
                        "  case \"$1\" in\n"
                        "    remove)\n"
                        "      echo \"vigil-agent prerm: $program is missing: install the package "
                        "again, then remove it\" >&2\n"
                        "      exit 1 ;;\n"
                        "    *) exit 0 ;;\n"
                        "  esac\n"
                        "fi\n"
                      + exec_line("prerm", format);
  std::string postrm
    = "#!/bin/sh\n"
      "# vigil-agent postrm: purge is vigil-uninstall Force=True. prerm has removed\n"
      "# the agent; the identity (hive, host key) goes now. The programs are gone\n"
      "# by then, so the list is written here (installer/uninstall_run.cpp's\n"
      "# identity_files).\n"
      "set -e\n"
      "case \"$1\" in\n"
      "  purge)\n"
      + purge_lines(p, format, "    ", "vigil-agent.postrm")
      + "    # and the answers preseeded in debconf\n"
        "    if "
      + debconf_present + "; then\n"
        "      . /usr/share/debconf/confmodule\n"
        "      db_purge\n"
        "    fi\n"
        "    ;;\n"
        "esac\n"
        "exit 0\n";
  // debconf runs it before postinst; the questions are preseeded, not asked.
  std::string config = "#!/bin/sh\n"
                       "# vigil-agent config: the questions of the templates are never asked (a\n"
                       "# fleet installs silently): an administrator preseeds them\n"
                       "# (debconf-set-selections, Ansible's debconf module) or writes\n"
                       "# "
                       + p.install_conf().string()
                       + "; postinst reads them.\n"
                         "set -e\n"
                         ". /usr/share/debconf/confmodule\n"
                         "exit 0\n";
  return {{"postinst", postinst}, {"prerm", prerm}, {"postrm", postrm}, {"config", config}};
}

/// rpm's scriptlets: dpkg's steps by rpm's `$1` (installed instances after
/// the operation). On upgrade rpm runs new %pre, new files, new %post, then
/// the old package's %preun and %postun: the new %post does the upgrade
/// (PatchInstall), the old %preun and %postun must do nothing.
std::vector<std::pair<std::string, std::string>> rpm_scripts() {
  const auto format = package_format::rpm;
  paths p{"/"};
  // rpm does not tell %post the version it replaces: %pre notes it.
  auto upgrade_from = under_root(p.state_dir() / "rpm-upgrade-from", format);
  std::string pre = "#!/bin/sh\n"
                    "# vigil-agent %pre: on upgrade ($1 >= 2) the installed vigil-uninstall\n"
                    "# stops the agent while rpm replaces its files (dpkg's prerm upgrade),\n"
                    "# and the old VERSION is noted for %post. Nothing on a fresh install.\n"
                    "set -e\n"
                    + program_lines(p, format)
                    + "if [ \"$1\" -ge 2 ] && [ -x \"$program\" ]; then\n"
                      "  (cat "
                    + under_root(p.version_file(), format) + " >" + upgrade_from
                    + ") 2>/dev/null || true\n  " + exec_line("prerm", format, "upgrade")
                    + "fi\n"
                      "exit 0\n";
  std::string post = "#!/bin/sh\n"
                     "# vigil-agent %post: vigil-setup's install steps, run by the installed\n"
                     "# vigil-uninstall with the configuration in "
                     + p.install_conf().string()
                     + "\n"
                       "# (README: Native packages); an upgrade ($1 >= 2) is PatchInstall=TRUE.\n"
                       "set -e\n"
                     + program_lines(p, format)
                     + "if [ \"$1\" -ge 2 ]; then\n"
                       "  old=$(cat "
                     + upgrade_from + " 2>/dev/null || true)\n  rm -f " + upgrade_from + "\n  "
                     + exec_line("postinst", format, "configure \"${old:-an earlier release}\"")
                     + "fi\n" + exec_line("postinst", format, "configure");
  std::string preun = "#!/bin/sh\n"
                      "# vigil-agent %preun: an erase ($1 = 0) is vigil-uninstall Uninstall=True\n"
                      "# (with SPFKEY=\"$"
                      + std::string{spfkey_variable}
                      + "\" while self-protection is on): a refusal\n"
                        "# fails it and rpm keeps the package. On upgrade ($1 >= 1) the new\n"
                        "# package's %post has already done everything: nothing.\n"
                        "set -e\n"
                        "[ \"$1\" -eq 0 ] || exit 0\n"
                      + program_lines(p, format)
                      + "if [ ! -x \"$program\" ]; then\n"
                        "  echo \"vigil-agent %preun: $program is missing: install the package "
                        "again, then remove it\" >&2\n"
                        "  exit 1\n"
                        "fi\n"
                      + exec_line("prerm", format, "remove");
  std::string postun
    = "#!/bin/sh\n"
      "# vigil-agent %postun: rpm has no purge. An erase ($1 = 0) with "
      + std::string{purge_variable}
      + "=1\n"
        "# in the environment is vigil-uninstall Force=True: %preun has removed the\n"
        "# agent; the identity (hive, host key) goes now. The programs are gone by\n"
        "# then, so the list is written here (installer/uninstall_run.cpp's\n"
        "# identity_files). Nothing on upgrade ($1 >= 1).\n"
        "set -e\n"
        "[ \"$1\" -eq 0 ] || exit 0\n"
        "case \"${"
      + std::string{purge_variable}
      + ":-}\" in\n"
        "  1|[Tt][Rr][Uu][Ee]|[Yy][Ee][Ss])\n"
      + purge_lines(p, format, "    ", "vigil-agent.postun")
      + "    ;;\n"
        "esac\n"
        "exit 0\n";
  return {{"pre", pre}, {"post", post}, {"preun", preun}, {"postun", postun}};
}

} // namespace

std::vector<std::pair<std::string, std::string>> maintainer_scripts(package_format format) {
  return format == package_format::deb ? deb_scripts() : rpm_scripts();
}

std::string debconf_templates() {
  struct question {
    std::string_view type, prompt, text;
  };
  const question questions[] = {
    {"string", "Vigil CustomerId:", "The customer's GUID, {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}."},
    {"string", "Vigil ActivationId:", "The activation key's GUID, {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}."},
    {"string", "Vigil platform URL:", "The WebServiceUri, https://HOST[:PORT]/CloudAgent/."},
    {"string", "Platform CA file:", "The file of the CA that signed the platform's certificate."},
    {"string", "Platform signing key:",
     "The platform's public signing key: its file, or vigil-ed25519:KEY."},
    {"boolean", "Install for a golden image?",
     "Installed for a golden image, the agent has no identity and does not start."},
  };
  std::string out;
  for (size_t i = 0; i < std::size(debconf_keys); ++i) {
    auto key = std::string{debconf_keys[i]};
    const auto& q = questions[i];
    out += (out.empty() ? "" : "\n") + std::string{"Template: vigil-agent/"} + key + "\nType: "
           + std::string{q.type} + "\n" + (q.type == "boolean" ? "Default: false\n" : "")
           + "Description: " + std::string{q.prompt} + "\n " + std::string{q.text} + " vigil-setup's "
           + key + "=, read when\n /etc/vigil/install.conf does not exist. Preseed it\n"
             " (debconf-set-selections): it is never asked.\n";
  }
  return out;
}

} // namespace vigil
