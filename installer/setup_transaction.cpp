#include "installer/setup_transaction.hpp"

#include "host/program_integrity.hpp"

#include <cstdlib>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "host/hive.hpp"
#include "host/hive_store.hpp"
#include "host/pinned_keys.hpp"

namespace fs = std::filesystem;

namespace vigil {

setup_transaction::setup_transaction(paths p, installer_log& log, service_manager& service)
  : paths_{std::move(p)}, log_{log}, service_{service} {
}

setup_transaction::~setup_transaction() {
  if (!committed_)
    rollback();
}

caf::expected<void> setup_transaction::step(const std::string& name,
                                            const std::function<caf::expected<void>()>& act) {
  log_.write("step " + name);
  auto ok = act();
  if (ok) {
    // The test hook fails a step after it acted, so rollback must undo it.
    if (const char* fail_at = std::getenv("VIGIL_SETUP_FAIL_AT"); fail_at && name == fail_at)
      ok = make_error(ec::unspecified, "failure injected at step " + name);
  }
  if (!ok) {
    log_.write("step " + name + " failed: " + render(ok.error()) + "; rolling back");
    rollback();
  }
  return ok;
}

void setup_transaction::rollback() {
  while (!undo_.empty()) {
    auto [name, undo] = std::move(undo_.back());
    undo_.pop_back();
    log_.write("undo " + name);
    undo();
  }
}

caf::expected<void> setup_transaction::make_dirs(const fs::path& dir, unsigned mode) {
  std::vector<fs::path> created;
  for (auto d = dir; !d.empty() && !fs::exists(d); d = d.parent_path())
    created.push_back(d);
  if (auto made = make_directories(dir, mode); !made)
    return made;
  // Undo runs last-in first-out: register the shallowest first, so the
  // deepest directory is removed first.
  for (auto it = created.rbegin(); it != created.rend(); ++it)
    undo_.emplace_back("mkdir " + it->string(), [d = *it] {
      std::error_code ignored;
      fs::remove(d, ignored); // only if empty: anything else was someone's
    });
  return {};
}

void setup_transaction::keep_original(const fs::path& file) {
  auto bytes = read_whole_file(file);
  std::optional<std::string> original;
  if (bytes)
    original = std::move(*bytes);
  std::error_code ignored;
  auto mode = static_cast<unsigned>(fs::status(file, ignored).permissions()) & 07777;
  undo_.emplace_back("restore " + file.string(), [file, original, mode] {
    std::error_code err;
    if (original)
      (void) write_file_atomically(file, *original, mode ? mode : 0644);
    else
      fs::remove(file, err);
  });
}

caf::expected<void> setup_transaction::run(const unpack_function& unpack,
                                           const install_settings& settings) {
  auto files = paths_.program_files();
  auto staging = fs::path{files.string() + ".staging"};
  auto previous = fs::path{files.string() + ".previous"};
  std::error_code ignored;
  fs::remove_all(staging, ignored); // leftovers of a run that was killed
  bool was_running = service_.running();
  // A fresh install that fails must leave no agent data either (the agent may
  // have run briefly in start-service); the installer's own log stays.
  // (The installer's log may already be there: it is written first.)
  if (!fs::exists(paths_.state_dir(), ignored) && !fs::exists(paths_.log_dir(), ignored)) {
    undo_.emplace_back("remove the new program data", [this] {
      std::error_code e;
      auto keep = paths_.installer_log().filename();
      for (auto& entry : fs::directory_iterator(paths_.program_data(), e))
        if (entry.path().filename() != keep)
          fs::remove_all(entry.path(), e);
    });
  }
  if (auto ok = step("stop-service", [&]() -> caf::expected<void> {
        if (!was_running)
          return {};
        undo_.emplace_back("restart the previous agent", [this] { (void) service_.start(); });
        return service_.stop();
      }); !ok)
    return ok;
  if (auto ok = step("stage-files", [&]() -> caf::expected<void> {
        if (settings.files_in_place) // the package manager's files are in place
          return {};
        if (auto made = make_dirs(staging); !made)
          return made;
        undo_.emplace_back("remove " + staging.string(), [staging] {
          std::error_code e;
          fs::remove_all(staging, e);
        });
        if (auto extracted = unpack(staging); !extracted)
          return extracted;
        // The archive's own top directory may carry the packer's private mode
        // (mktemp -d: 0700); program files are readable by all (issue 15,
        // defect 5).
        std::error_code err;
        fs::permissions(staging, fs::perms{0755}, err);
        if (err)
          return make_system_error(err.value(), "chmod " + staging.string());
        return {};
      }); !ok)
    return ok;
  if (auto ok = step("swap-files", [&]() -> caf::expected<void> {
        if (settings.files_in_place)
          return {};
        std::error_code err;
        fs::remove_all(previous, err);
        bool had_files = fs::exists(files);
        // Killed at any instant, the program files are one whole version,
        // old or new, never none (SPEC §12; on Windows, see
        // replace_directory).
        if (auto swapped = replace_directory(staging, files, previous); !swapped)
          return swapped;
        if (had_files) {
          undo_.emplace_back("put back " + files.string(), [files, previous, staging] {
            if (replace_directory(previous, files, staging)) {
              std::error_code e;
              fs::remove_all(staging, e);
            }
          });
        } else {
          undo_.emplace_back("remove " + files.string(), [files] {
            std::error_code e;
            fs::remove_all(files, e);
          });
        }
        return {};
      }); !ok)
    return ok;
  if (auto ok = step("keep-reference-copy", [&]() -> caf::expected<void> {
        // What self-protection restores program files from (SPEC §13): a
        // root-only copy of the files just installed, with their hashes; the
        // previous version's copy stays for a rollback.
        auto version_of = [](const fs::path& dir) {
          auto text = read_whole_file(dir / "VERSION");
          std::string v = text ? *text : std::string{};
          while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' '))
            v.pop_back();
          return v;
        };
        auto version = version_of(files);
        if (version.empty())
          return make_error(ec::not_found, "the payload has no VERSION file");
        auto copy = pristine_dir(paths_, version);
        std::error_code err;
        if (!fs::exists(copy, err))
          undo_.emplace_back("remove " + copy.string(), [copy] {
            std::error_code e;
            fs::remove_all(copy, e);
          });
        auto kept = keep_pristine_copy(paths_, version, version_of(previous));
        if (!kept)
          return kept.error();
        return {};
      }); !ok)
    return ok;
  if (auto ok = step("write-hive", [&]() -> caf::expected<void> {
        // The hive holds the identity (CustomerId, ActivationId): on disk its
        // directory 0700, the hive and its lock 0600, also when an older
        // version left them readable (issue 15, defect 5).
        auto store = open_hive_store(paths_);
        auto files = store->files();
        std::error_code loose;
        if (!files.empty()) {
          auto hive_dir = files.front().parent_path();
          if (auto made = make_dirs(hive_dir, 0700); !made)
            return made;
          fs::permissions(hive_dir, fs::perms::owner_all, loose);
        }
        auto before = store->load();
        if (!before)
          return before.error();
        undo_.emplace_back("restore the hive " + store->location(), [this, before = *before] {
          auto store = open_hive_store(paths_);
          if (before.empty())
            (void) store->erase();
          else
            (void) store->update([&](hive& h) -> caf::expected<void> {
              h = before;
              return {};
            });
        });
        auto written = store->update([&](hive& h) -> caf::expected<void> {
          auto key = std::string{agent_key};
          h.ensure_key(key);
          if (settings.customer_id)
            h.set(key, reg_value::sz("CustomerId", *settings.customer_id));
          if (settings.activation_id)
            h.set(key, reg_value::sz("ActivationId", *settings.activation_id));
          if (settings.web_service_uri)
            h.set(key, reg_value::sz("WebServiceUri", *settings.web_service_uri));
          if (settings.trust_root)
            h.set(trust_key(), reg_value::sz(root_key_value, *settings.trust_root));
          if (!settings.proxy_values.empty()) {
            h.remove_key(key + "\\Proxy");
            for (auto& [name, data] : settings.proxy_values)
              h.set(key + "\\Proxy", reg_value::sz(name, data));
          }
          return {};
        });
        if (!written)
          return written.error();
        // An unchanged hive is not rewritten: its mode is set here.
        for (auto& file : files)
          if (fs::exists(file, loose))
            fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, loose);
        return {};
      }); !ok)
    return ok;
  if (auto ok = step("install-ca-bundle", [&]() -> caf::expected<void> {
        if (!settings.ca_bundle)
          return {};
        auto bundle = read_whole_file(*settings.ca_bundle);
        if (!bundle)
          return make_error(ec::not_found, "CaBundle " + settings.ca_bundle->string() + ": "
                                             + render(bundle.error()));
        if (auto made = make_dirs(paths_.state_dir(), 0700); !made)
          return made;
        auto target = paths_.state_dir() / "ca-bundle.pem";
        keep_original(target);
        return write_file_atomically(target, *bundle, 0644);
      }); !ok)
    return ok;
  if (auto ok = step("register-service", [&]() -> caf::expected<void> {
        for (auto& file : service_.registration_files()) {
          if (auto made = make_dirs(file.parent_path()); !made)
            return made;
          keep_original(file);
        }
        if (!service_.registered())
          undo_.emplace_back("unregister the service", [this] { (void) service_.remove(); });
        return service_.install();
      }); !ok)
    return ok;
  if (auto ok = step("start-service", [&]() -> caf::expected<void> {
        if (settings.golden_image)
          return {};
        undo_.emplace_back("stop the new agent", [this] { (void) service_.stop(); });
        return service_.start();
      }); !ok)
    return ok;
  if (!settings.keep_previous)
    fs::remove_all(previous, ignored);
  undo_.clear();
  committed_ = true;
  log_.write("committed");
  return {};
}

} // namespace vigil
