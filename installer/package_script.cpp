#include "installer/package_script.hpp"

#include <cstdlib>
#include <iostream>

#include "common/error.hpp"
#include "common/redact.hpp"
#include "common/text.hpp"
#include "host/atomic_file.hpp"
#include "host/hive_store.hpp"
#include "host/service_manager.hpp"
#include "host/text_encoding.hpp"
#include "installer/enrollment.hpp"
#include "installer/install_conf.hpp"
#include "installer/install_run.hpp"
#include "installer/installer_log.hpp"
#include "installer/maintainer_scripts.hpp"
#include "installer/setup_lock.hpp"
#include "installer/uninstall_run.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {


/// Whether the hive holds a configuration (a CustomerId).
bool configured(const paths& p) {
  auto h = open_hive_store(p)->load();
  if (!h)
    return false;
  auto* v = h->get(agent_key, "CustomerId");
  return v && v->as_string() && !v->as_string()->empty();
}

/// The request `postinst configure OLD` carries out, and the TrustKey it
/// pins; an error is a refused configuration, its message vigil-setup's.
struct configure_plan {
  setup_request request;
  std::optional<std::string> trust_root;
  std::string why; ///< for the log
};

caf::expected<configure_plan> plan_configure(const paths& p, const std::string& old_version) {
  configure_plan plan;
  // An upgrade of a configured install; an older package that never
  // configured one (before maintainer scripts) installs as if fresh.
  if (!old_version.empty() && configured(p)) {
    plan.request.action = setup_action::patch;
    plan.why = "upgrade from " + old_version + ": PatchInstall=TRUE (identity, state and "
               "configuration kept; install.conf is not read)";
    return plan;
  }
  std::error_code ignored;
  auto conf = p.install_conf();
  // A package made for one platform (vigil-platform package) carries the
  // defaults; install.conf's keys replace them.
  auto enrolled = p.root() / packaged_enrollment_dir;
  std::vector<std::string> defaults;
  if (auto text = read_whole_file(enrolled / enrollment_conf_name)) {
    std::optional<fs::path> ca;
    if (fs::exists(enrolled / enrollment_ca_name, ignored))
      ca = enrolled / enrollment_ca_name;
    defaults = enrollment_args(*text, ca);
  }
  std::string text;
  std::string source = conf.string(); // names the configuration in errors
  if (!fs::exists(conf, ignored)) {
    if (configured(p)) {
      plan.request.action = setup_action::patch;
      plan.why = "no " + conf.string() + ": the configuration in the hive is kept (PatchInstall=TRUE)";
      return plan;
    }
    // The answers preseeded in debconf, which postinst read (.deb only).
    if (const char* debconf = std::getenv(std::string{debconf_variable}.c_str());
        debconf != nullptr && *debconf != '\0') {
      text = debconf;
      source = "debconf (vigil-agent/...)";
    } else if (defaults.empty()) {
      return make_error(ec::invalid_argument,
                        "no configuration: write CustomerId=, ActivationId= and WebServiceUri= "
                        "(vigil-setup's arguments, one a line) to "
                          + conf.string()
                          + " before installing the package (or preseed them in debconf: "
                            "vigil-agent/CustomerId ...)");
    }
  } else {
    auto read = read_whole_file(conf);
    if (!read)
      return make_error(ec::invalid_argument, conf.string() + ": " + render(read.error()));
    text = std::move(*read);
  }
  auto request = parse_install_conf(text, defaults);
  if (!request)
    return make_error(ec::invalid_argument, source + ": " + context_of(request.error()));
  plan.request = std::move(*request);
  auto trust_root = complete_request(plan.request, 0 /* standard input */);
  if (!trust_root)
    return make_error(ec::invalid_argument, source + ": " + context_of(trust_root.error()));
  plan.trust_root = std::move(*trust_root);
  plan.why = "fresh install configured by "
             + (text.empty() ? (enrolled / enrollment_conf_name).string()
                             : source + (defaults.empty() ? "" : " over the package's enrollment"));
  return plan;
}

int configure(const paths& p, const std::string& old_version) {
  const std::string program = "vigil-agent.postinst";
  // Refused configurations are refused before anything is written, as
  // vigil-setup refuses a bad command line (no log, no directory).
  auto plan = plan_configure(p, old_version);
  if (!plan) {
    std::cerr << program << ": " << redact(context_of(plan.error())) << " (exit code "
              << installer_exit::invalid_command_line << ")\n";
    return installer_exit::invalid_command_line;
  }
  installer_log log{p, program};
  log.write("run: configure " + plan->why + "; " + to_log_string(plan->request));
  int refused = 0;
  auto lock = setup_lock::take_or_finish(p.root(), log, refused);
  if (!lock)
    return refused;
  auto version = read_whole_file(p.version_file());
  if (!version)
    return log.finish(installer_exit::fatal,
                      "the package's files are not in place: " + render(version.error()));
  return run_install(p, plan->request, std::move(plan->trust_root), log,
                     install_source{nullptr, std::string{trim_blanks_and_line_breaks(*version)}, true, {}});
}

/// The MSI's custom actions (run_package_script's `msi ...`).
int run_msi_action(const paths& p, const std::vector<std::string>& args) {
  const std::string program = "vigil-agent.msi";
  const auto& action = args.front();
  std::vector<std::string> properties{args.begin() + 1, args.end()};
  if (action == "install") {
    auto request = parse_setup_args(msi_setup_args(properties, configured(p)));
    if (!request) {
      std::cerr << program << ": " << context_of(request.error()) << "\n";
      return installer_exit::invalid_command_line;
    }
    auto trust_root = complete_request(*request, 0 /* standard input */);
    if (!trust_root) {
      std::cerr << program << ": " << context_of(trust_root.error()) << "\n";
      return installer_exit::invalid_command_line;
    }
    installer_log log{p, program};
    log.write("run: install " + to_log_string(*request));
    int refused = 0;
    auto lock = setup_lock::take_or_finish(p.root(), log, refused,
                                           setup_lock::caller::windows_installer);
    if (!lock)
      return refused;
    auto version = read_whole_file(p.version_file());
    if (!version)
      return log.finish(installer_exit::fatal,
                        "the MSI's files are not in place: " + render(version.error()));
    return run_install(p, *request, std::move(*trust_root), log,
                       install_source{nullptr, std::string{trim_blanks_and_line_breaks(*version)},
                                      true, {}});
  }
  installer_log log{p, program};
  if (action == "remove") {
    uninstall_request request;
    request.action = uninstall_action::uninstall;
    for (auto& property : properties)
      if (property.starts_with("SPFKEY=") && property.size() > 7) {
        request.spf_key = property.substr(7);
        register_secret(*request.spf_key);
      }
    log.write("run: remove, Uninstall=True; " + to_log_string(request));
    int refused = 0;
    auto lock = setup_lock::take_or_finish(p.root(), log, refused,
                                           setup_lock::caller::windows_installer);
    if (!lock)
      return refused;
    return run_uninstall(p, request, log, program_files_owner::package_manager);
  }
  if (action == "stop") {
    log.write("run: stop (an upgrade replaces the files)");
    if (auto ok = make_service_manager(p)->stop(); !ok)
      return log.finish(installer_exit::fatal, "cannot stop the agent: " + render(ok.error()));
    return log.finish(installer_exit::success, "agent stopped for the upgrade");
  }
  return log.finish(installer_exit::invalid_command_line, "unknown MSI action " + action);
}

} // namespace

std::vector<std::string> msi_setup_args(const std::vector<std::string>& properties,
                                        bool configured) {
  std::vector<std::string> args;
  bool identity_given = false;
  bool patch_given = false;
  for (auto& property : properties) {
    auto equals = property.find('=');
    if (equals == std::string::npos || equals + 1 == property.size())
      continue; // left empty by the MSI
    auto key = std::string_view{property}.substr(0, equals);
    for (auto name : {"CustomerId", "ActivationId", "WebServiceUri"})
      identity_given = identity_given || iequals(key, name);
    patch_given = patch_given || iequals(key, "PatchInstall");
    args.push_back(property);
  }
  if (!identity_given && !patch_given && configured)
    args.push_back("PatchInstall=TRUE");
  return args;
}

int run_package_script(const paths& p, const std::vector<std::string>& args) {
  if (!args.empty() && args.front() == "msi" && args.size() >= 2)
    return run_msi_action(p, {args.begin() + 1, args.end()});
  if (args.size() < 2) {
    std::cerr << "vigil-uninstall: " << package_script_option
              << " needs the maintainer script's name and dpkg's arguments\n";
    return installer_exit::invalid_command_line;
  }
  const auto& script = args[0];
  const auto& action = args[1];
  std::string version = args.size() > 2 ? args[2] : std::string{};
  if (script == "postinst" && action == "configure")
    return configure(p, version);
  std::error_code ignored;
  installer_log log{p, "vigil-agent." + script};
  log.write("run: " + script + " " + action + (version.empty() ? "" : " " + version));
  int refused = 0;
  auto lock = setup_lock::take_or_finish(p.root(), log, refused);
  if (!lock)
    return refused;
  if (script == "prerm" && action == "remove") {
    uninstall_request request;
    request.action = uninstall_action::uninstall;
    if (const char* key = std::getenv(std::string{spfkey_variable}.c_str()); key && *key) {
      request.spf_key = key;
      register_secret(key);
    }
    log.write("removal: Uninstall=True; " + to_log_string(request));
    return run_uninstall(p, request, log, program_files_owner::package_manager);
  }
  auto service = make_service_manager(p);
  if (script == "prerm"
      && (action == "upgrade" || action == "deconfigure" || action == "failed-upgrade")) {
    if (auto ok = service->stop(); !ok)
      return log.finish(installer_exit::fatal, "cannot stop the agent: " + render(ok.error()));
    return log.finish(installer_exit::success, "agent stopped for dpkg to replace its files");
  }
  if (script == "postinst" && action.starts_with("abort-")) {
    if (!fs::exists(p.systemd_unit(), ignored))
      return log.finish(installer_exit::success, "not installed: nothing to start");
    if (auto ok = service->start(); !ok)
      return log.finish(installer_exit::fatal, "cannot start the agent: " + render(ok.error()));
    return log.finish(installer_exit::success, "agent started again after " + action);
  }
  return log.finish(installer_exit::success, "nothing to do for " + script + " " + action);
}

} // namespace vigil
