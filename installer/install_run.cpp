#include "installer/install_run.hpp"

#include "common/error.hpp"
#include "common/redact.hpp"
#include "common/signing.hpp"
#include "common/text.hpp"
#include "host/agent_status.hpp"
#include "host/atomic_file.hpp"
#include "host/hive_store.hpp"
#include "host/password_input.hpp"
#include "host/process_id.hpp"
#include "host/secret_box.hpp"
#include "host/service_manager.hpp"
#include "host/text_encoding.hpp"
#include "host/upgrade_marker.hpp"
#include "installer/payload.hpp"
#include "installer/version_order.hpp"
#include "protocol/zstd.hpp"
#include "installer/setup_transaction.hpp"
#include "installer/upgrade_watch.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {


/// The hive value of the installed agent, or empty.
std::string installed_value(const paths& p, const char* name) {
  auto h = open_hive_store(p)->load();
  if (!h)
    return {};
  auto* v = h->get(agent_key, name);
  return v && v->as_string() ? *v->as_string() : std::string{};
}

} // namespace

caf::expected<std::string> read_trust_key(const std::string& value) {
  if (value.starts_with(public_key_prefix))
    return value;
  auto text = read_whole_file(value);
  if (!text)
    return make_error(ec::invalid_argument, "TrustKey: cannot read " + value + ": "
                                              + render(text.error()));
  auto key = std::string{trim_blanks_and_line_breaks(*text)};
  while (!key.empty() && (key.front() == ' ' || key.front() == '\n'))
    key.erase(key.begin());
  if (!is_public_key_text(key))
    return make_error(ec::invalid_argument,
                      "TrustKey: " + value + " does not hold an Ed25519 public key "
                        + "(vigil-ed25519:...; the platform writes it to signing-key.pub)");
  return key;
}

caf::expected<std::optional<std::string>> complete_request(setup_request& request,
                                                           int password_fd) {
  std::optional<std::string> trust_root;
  if (request.trust_key) {
    auto key = read_trust_key(*request.trust_key);
    if (!key)
      return key.error();
    trust_root = std::move(*key);
  }
  // `Proxy="... /p -"`: the password comes on standard input, never in
  // /proc/PID/cmdline (issue 15, defect 6).
  if (request.proxy) {
    if (auto read = read_proxy_password(*request.proxy, password_fd); !read)
      return make_error(ec::invalid_argument, "Proxy: /p -: " + context_of(read.error()));
  }
  if (request.proxy && request.proxy->password)
    register_secret(*request.proxy->password);
  return trust_root;
}

namespace {

/// Keeps the expanded form of the package just installed (zstd level 3: a
/// third of its size, decompressed in a fraction of a second) as the
/// reference of the next release's binary patch, and drops the others. A
/// failure costs only the patch: the next upgrade downloads the package.
void keep_patch_reference(const paths& p, const std::string& version,
                          const fs::path& package_file, installer_log& log) {
  auto fail = [&](const std::string& why) {
    log.write("no binary-patch reference kept (the next upgrade downloads the whole package): "
              + why);
  };
  auto bytes = read_whole_file(package_file);
  if (!bytes)
    return fail(render(bytes.error()));
  auto expanded = expand_package(*bytes, package_file.string());
  if (!expanded)
    return fail(render(expanded.error()));
  auto file = patch_reference_file(p, version);
  std::error_code ignored;
  fs::create_directories(file.parent_path(), ignored);
  fs::permissions(file.parent_path().parent_path(), fs::perms::owner_all, ignored);
  fs::permissions(file.parent_path(), fs::perms::owner_all, ignored);
  if (auto ok = write_file_atomically(file, protocol::zstd_compress(*expanded, 3), 0600); !ok)
    return fail(render(ok.error()));
  for (auto& entry : fs::directory_iterator(file.parent_path(), ignored))
    if (entry.path() != file)
      fs::remove(entry.path(), ignored);
  log.write("kept " + file.string() + " as the reference of binary patches");
}

} // namespace

int run_install(const paths& p, const setup_request& request, std::optional<std::string> trust_root,
                installer_log& log, const install_source& source) {
  // The package manager has already replaced the files (and decided about
  // versions): nothing to compare with.
  auto installed = source.files_in_place ? caf::expected<std::string>{std::string{}}
                                         : read_whole_file(p.version_file());
  auto installed_version =
    installed ? std::string{trim_blanks_and_line_breaks(*installed)} : std::string{};
  const auto& payload_version = source.version;
  std::error_code ignored;
  install_settings settings;
  settings.files_in_place = source.files_in_place;
  settings.golden_image = request.golden_image;
  if (request.action == setup_action::patch) {
    if (installed_version.empty() && !source.files_in_place)
      return log.finish(installer_exit::fatal, "PatchInstall: nothing is installed");
  } else {
    if (!installed_version.empty() && compare_versions(payload_version, installed_version) == 0
        && !iequals(installed_value(p, "CustomerId"), request.customer_id))
      return log.finish(installer_exit::already_installed,
                    "version " + installed_version + " is installed for another CustomerId; "
                    "uninstall it first");
    settings.customer_id = request.customer_id;
    settings.activation_id = request.activation_id;
    settings.web_service_uri = request.web_service_uri;
    if (request.ca_bundle)
      settings.ca_bundle = *request.ca_bundle;
    if (trust_root) {
      settings.trust_root = std::move(*trust_root);
    } else {
      log.write("no TrustKey given: the agent accepts no manifest until the platform's public "
                "key is pinned (reinstall with TrustKey=FILE)");
    }
  }
  if (!installed_version.empty() && compare_versions(payload_version, installed_version) < 0
      && !request.allow_downgrade)
    return log.finish(installer_exit::already_installed,
                  "version " + installed_version + " is installed, newer than this payload ("
                    + payload_version + "); AllowDowngrade=TRUE overrides");
  // The host key is made for the proxy password; a failed run takes it away
  // again with everything else it created.
  auto key_file = secret_box::host_key_file(p);
  bool had_host_key = fs::exists(key_file, ignored);
  std::vector<fs::path> new_dirs; // the key's directories this run creates
  for (auto d = key_file.parent_path(); d != p.root() && !fs::exists(d, ignored);
       d = d.parent_path())
    new_dirs.push_back(d);
  auto forget_new_key = [&] {
    if (had_host_key)
      return;
    fs::remove(key_file, ignored);
    for (auto& d : new_dirs)
      fs::remove(d, ignored); // only if empty, deepest first
  };
  if (request.proxy) {
    auto box = secret_box::open(p);
    if (!box)
      return log.finish(installer_exit::fatal, "cannot open the key store: " + render(box.error()));
    auto& proxy = *request.proxy;
    std::string urls;
    for (auto& u : proxy.proxy_urls)
      urls += (urls.empty() ? "" : ";") + u;
    if (!urls.empty())
      settings.proxy_values.emplace_back("ProxyUrls", urls);
    if (proxy.pac_url)
      settings.proxy_values.emplace_back("PacFilePath", *proxy.pac_url);
    if (proxy.username)
      settings.proxy_values.emplace_back("Username", *proxy.username);
    if (proxy.password) {
      auto sealed = box->seal(*proxy.password, "proxy-password");
      if (!sealed) {
        forget_new_key();
        return log.finish(installer_exit::fatal, render(sealed.error()));
      }
      settings.proxy_values.emplace_back("Password", *sealed);
    }
  }
  auto service = make_service_manager(p);
  log.write("installing " + payload_version
            + (source.files_in_place    ? std::string{" (files put in place by the package manager)"}
               : installed_version.empty() ? std::string{" (fresh)"}
                                           : " over " + installed_version)
            + " with the " + service->kind() + " service");
  // The agent's own upgrade (SPEC §12): the marker says what is going on at
  // every step, and the previous version stays until the new one proves itself.
  upgrade_marker marker;
  if (request.self_patch) {
    if (auto loaded = load_upgrade_marker(p))
      marker = *loaded;
    marker.state = "installing";
    marker.from = installed_version;
    marker.target = payload_version;
    marker.reason.clear();
    marker.at = unix_now();
    marker.started_at = marker.at;
    // This process owns the upgrade until it writes the outcome: an agent
    // that starts meanwhile (the undo of a failed step restarts the previous
    // one) sees it alive and leaves the marker alone.
    marker.watcher_pid = current_process_id();
    if (auto ok = save_upgrade_marker(p, marker); !ok)
      return log.finish(installer_exit::fatal, "upgrade marker: " + render(ok.error()));
    settings.keep_previous = true;
  }
  setup_transaction transaction{p, log, *service};
  if (auto ok = transaction.run(source.unpack, settings); !ok) {
    forget_new_key();
    if (request.self_patch) {
      marker.state = "rolled_back";
      marker.reason = "install_failed: " + render(ok.error());
      marker.at = unix_now();
      marker.watcher_pid = 0;
      (void) save_upgrade_marker(p, marker);
    }
    return log.finish(installer_exit::fatal, "installation failed and was rolled back: "
                                                + render(ok.error()));
  }
  if (request.self_patch) {
    upgrade_watch_options watch;
    watch.deadline = upgrade_watch_deadline(p, watch.deadline);
    watch.now = unix_now;
    auto watched = watch_upgrade(p, *service, log, marker, watch);
    if (!watched)
      return log.finish(installer_exit::fatal, "upgrade watch failed: " + render(watched.error()));
    if (watched->state != "succeeded")
      return log.finish(installer_exit::fatal, "vigil-agent " + payload_version
                                                  + " rolled back to " + installed_version + ": "
                                                  + watched->reason);
  }
  if (!source.package_file.empty())
    keep_patch_reference(p, payload_version, source.package_file, log);
  return log.finish(installer_exit::success,
                "vigil-agent " + payload_version + " installed in " + p.program_files().string()
                  + (request.golden_image ? " (GoldenImage: not started)" : ""));
}


} // namespace vigil
