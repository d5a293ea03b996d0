#include "actors/selfpatch.hpp"

#include <algorithm>

#include "actors/selfpatch_logic.hpp"
#include "common/error.hpp"
#include "common/sha256.hpp"
#include "common/text.hpp"
#include "host/agent_status.hpp"
#include "host/atomic_file.hpp"
#include "host/file_append.hpp"
#include "host/held_program.hpp"
#include "host/logging.hpp"
#include "host/process_id.hpp"
#include "host/program_integrity.hpp"
#include "host/upgrade_marker.hpp"
#include "protocol/endpoints.hpp"
#include "protocol/zstd.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

using self_pointer = selfpatch_actor::stateful_pointer<selfpatch_state>;

auto log() {
  return module_logger(log_module::self_patch);
}

/// Moves the marker on and writes it (the check-in reports it).
void set_marker(self_pointer self, std::string state, std::string reason = {}) {
  auto& st = self->state;
  st.marker.state = std::move(state);
  st.marker.reason = std::move(reason);
  st.marker.at = st.options.now();
  if (auto ok = save_upgrade_marker(st.root_paths, st.marker); !ok)
    log()->error("cannot write the upgrade marker: {}", render(ok.error()));
}

/// Refuses `target` for `cause`; the same refusal again is not logged again.
void refuse(self_pointer self, const std::string& target, const caf::error& cause) {
  auto& st = self->state;
  auto reason = render(cause);
  bool repeat = st.marker.state == "refused" && st.marker.target == target
                && st.marker.reason == reason;
  st.release.reset();
  st.marker.target = target;
  st.marker.from = st.running_version;
  set_marker(self, "refused", reason);
  if (!repeat)
    log()->error("upgrade to {} refused: {}", target, reason);
}

/// Records in the agent's status how fresh the release metadata the platform
/// offers is (the health check reports expired metadata; SPEC §14). Metadata
/// that expired is refused, never a reason to stop: the agent runs on.
void record_metadata(const release_metadata& meta, int64_t now) {
  record_agent_status([&](agent_status& s) {
    s.release_metadata_version = meta.version;
    s.release_metadata_expires_at = meta.expires_at;
    s.release_metadata_checked_at = now;
    s.release_metadata_expired = now > meta.expires_at;
  });
}

/// The platform offers nothing to install: no metadata to be stale.
void forget_metadata() {
  record_agent_status([](agent_status& s) {
    s.release_metadata_version.clear();
    s.release_metadata_expires_at = 0;
    s.release_metadata_checked_at = 0;
    s.release_metadata_expired = false;
  });
}

fs::path part_file(const selfpatch_state& st) {
  return st.root_paths.patch_dir() / ("vigil-setup-" + st.release->version + ".part");
}

/// Where a package rebuilt from a binary patch is written before staging.
fs::path rebuilt_file(const selfpatch_state& st) {
  return st.root_paths.patch_dir() / ("vigil-setup-" + st.release->version + ".rebuilt");
}

/// The signed size and hash `content` (a package, or an expanded package
/// rebuilt from a patch) must have.
caf::expected<void> check_signed(const release_metadata& meta, bool expanded,
                                 std::string_view sha256, uint64_t size) {
  return expanded ? check_expanded_package_bytes(meta, sha256, size)
                  : check_package_bytes(meta, sha256, size);
}

/// The whole package is here (`part`: downloaded, or rebuilt from a patch
/// when `expanded`): verify, stage root-only, verify through the descriptor
/// that will run, hand over to the new version's vigil-setup.
void install(self_pointer self, const fs::path& part, bool expanded) {
  auto& st = self->state;
  auto meta = *st.release;
  std::error_code err;
  auto size = fs::file_size(part, err);
  auto hash = [&]() -> caf::expected<std::string> {
    auto held = held_program::open(part);
    if (!held)
      return held.error();
    return held->sha256();
  }();
  if (!hash) {
    log()->error("cannot hash {}: {}", part.string(), render(hash.error()));
    return;
  }
  if (auto ok = check_signed(meta, expanded, *hash, err ? 0 : size); !ok) {
    fs::remove(part, err);
    refuse(self, meta.version, ok.error());
    return;
  }
  auto staged_dir = st.root_paths.patch_dir() / "staged";
  fs::create_directories(staged_dir, err);
  fs::permissions(staged_dir, fs::perms::owner_all, err);
  auto staged = staged_dir / "vigil-setup";
  fs::rename(part, staged, err);
  if (err) {
    log()->error("cannot stage {}: {}", staged.string(), err.message());
    return;
  }
  fs::permissions(staged, fs::perms::owner_all, err);
  // Held from here to its start: what runs is what is verified now.
  auto opened = held_program::open(staged);
  if (!opened) {
    log()->error("cannot open the staged package: {}", render(opened.error()));
    return;
  }
  std::optional<held_program> program{std::move(*opened)};
  auto again = program->sha256();
  if (!again || *again != (expanded ? meta.expanded_sha256 : meta.sha256)) {
    program.reset(); // closed before it is removed: Windows refuses to remove a held file
    fs::remove(staged, err);
    refuse(self, meta.version,
           make_error(ec::hash_mismatch, "the staged package changed after it was verified"));
    return;
  }
  set_marker(self, "staged");
  log()->info("{} verified and staged ({} bytes, sha256 {}{}); handing over to its vigil-setup",
              meta.version, expanded ? meta.expanded_size : meta.size,
              expanded ? meta.expanded_sha256 : meta.sha256,
              expanded ? ", rebuilt from a binary patch" : "");
  auto started = program->hand_over({"vigil-setup", "--root", st.root_paths.root().string(),
                                      "PatchInstall=TRUE", "SelfPatch=TRUE"});
  if (!started) {
    log()->error("cannot start vigil-setup {}: {}", meta.version, render(started.error()));
    return;
  }
  st.handed_over = true;
}

/// The last piece failed: the next is asked for after `options.retry`, or at
/// the next check-in that reaches the platform, whichever comes first.
void retry_later(self_pointer self) {
  self->state.piece_failed = true;
  self->delayed_send(self, self->state.options.retry, download_atom::value);
}

void fetch_next(self_pointer self);

/// Sends `request` for the release being fetched, one at a time. The answer
/// or the failure goes to `on_answer` / `on_failure` only while that release
/// is still the one being fetched; one that was replaced meanwhile moves on
/// to the current release instead (its fetch waited for this one).
template <class OnAnswer, class OnFailure>
void request_for_release(self_pointer self, http_request request, OnAnswer on_answer,
                         OnFailure on_failure) {
  auto& st = self->state;
  st.fetching = true;
  auto version = st.release->version;
  auto current = [self, version] {
    auto& st = self->state;
    st.fetching = false;
    if (st.release && st.release->version == version)
      return true;
    self->send(self, download_atom::value);
    return false;
  };
  self->request(st.transport, caf::infinite, request_atom::value, std::move(request))
    .then(
      [=](const http_response& r) {
        if (current())
          on_answer(r);
      },
      [=](const caf::error& e) {
        if (current())
          on_failure(e);
      });
}

/// The patch could not be used: the whole package is fetched instead.
void patch_failed(self_pointer self, const std::string& why) {
  auto& st = self->state;
  st.patch_pending = false;
  log()->warn("binary patch to {} from {} not used ({}): downloading the whole package",
              st.release->version, st.running_version, why);
  fetch_next(self);
}

/// Rebuilds the release's expanded package from `patch` and the reference of
/// the running version, and installs it once its signed size and SHA-256
/// match. Blocking (this actor is detached): about 80 MB for a moment.
void apply_patch(self_pointer self, std::string_view patch) {
  auto& st = self->state;
  auto meta = *st.release;
  auto reference = read_whole_file(patch_reference_file(st.root_paths, st.running_version));
  if (!reference)
    return patch_failed(self, "no reference: " + render(reference.error()));
  auto expanded_from = protocol::zstd_decompress(*reference, 1ull << 30, "patch reference");
  reference->clear();
  reference->shrink_to_fit();
  if (!expanded_from)
    return patch_failed(self, render(expanded_from.error()));
  auto rebuilt = protocol::zstd_apply_patch(*expanded_from, patch, meta.expanded_size);
  expanded_from->clear();
  expanded_from->shrink_to_fit();
  if (!rebuilt)
    return patch_failed(self, render(rebuilt.error()));
  if (auto ok = check_expanded_package_bytes(meta, sha256_hex(*rebuilt), rebuilt->size()); !ok)
    return patch_failed(self, render(ok.error()));
  auto file = rebuilt_file(st);
  if (auto ok = write_file_atomically(file, *rebuilt, 0700); !ok)
    return patch_failed(self, render(ok.error()));
  st.patch_pending = false;
  log()->info("{} rebuilt from a binary patch of {} bytes (the package is {} bytes)",
              meta.version, patch.size(), meta.size);
  install(self, file, true);
}

/// Asks for the binary patch from the running version to the release; any
/// failure falls back to the whole package.
void fetch_patch(self_pointer self) {
  auto& st = self->state;
  http_request request;
  request.target = protocol::endpoint_release_patch("", st.release->version, st.running_version);
  // A patch no smaller than the package is of no use: cut off there.
  request.response_limit = static_cast<size_t>(st.release->size);
  request_for_release(
    self, std::move(request),
    [=](const http_response& r) {
      if (r.status != 200)
        return patch_failed(self, "HTTP " + std::to_string(r.status));
      apply_patch(self, r.body);
    },
    [=](const caf::error& e) { patch_failed(self, render(e)); });
}

/// Asks for the next piece of the package, unless one is on its way, the
/// network is in a blackout window, or the package is complete.
void fetch_next(self_pointer self) {
  auto& st = self->state;
  if (st.fetching || !st.release || st.handed_over)
    return;
  if (!network_allowed_by(st.blackout, st.windows))
    return; // the blackout actor's push at the window's end resumes
  if (st.patch_pending) {
    fetch_patch(self);
    return;
  }
  auto part = part_file(st);
  std::error_code err;
  uint64_t have = fs::exists(part, err) ? fs::file_size(part, err) : 0;
  if (have > st.release->size) {
    fs::remove(part, err);
    have = 0;
  }
  if (have == st.release->size) {
    install(self, part, false);
    return;
  }
  st.piece_failed = false;
  http_request request;
  request.target = protocol::endpoint_release_package("", st.release->version);
  request.fields.set("Range", next_range(have, st.release->size, st.options.chunk_bytes));
  // No answer may carry more than the whole signed package: a longer one
  // (endless data) is cut off at that size, not read to its end.
  request.response_limit = static_cast<size_t>(st.release->size);
  auto version = st.release->version;
  request_for_release(
    self, std::move(request),
    [=](const http_response& r) {
      auto& st = self->state;
      auto size = st.release->size;
      std::string_view body = r.body;
      if (r.status == 206) {
        auto total = content_range_total(r.fields.get("Content-Range"));
        if (total && *total > size) {
          fs::remove(part_file(st));
          refuse(self, version,
                 make_error(ec::size_exceeded, "the platform's package is "
                                                 + std::to_string(*total)
                                                 + " bytes, the signed metadata says "
                                                 + std::to_string(size)));
          return;
        }
      } else if (r.status == 200) {
        if (r.body.size() > size) {
          refuse(self, version, make_error(ec::size_exceeded,
                                           "the platform's package is longer than the "
                                           + std::to_string(size) + " signed bytes"));
          return;
        }
        if (r.body.size() < size) {
          // The whole package, as the platform says, and not the signed one:
          // asking again would only fetch the same bytes forever.
          fs::remove(part_file(st));
          refuse(self, version,
                 make_error(ec::hash_mismatch, "the platform's whole package is "
                                                 + std::to_string(r.body.size())
                                                 + " bytes, the signed metadata says "
                                                 + std::to_string(size)));
          return;
        }
        fs::remove(part_file(st)); // the whole package: start the file over
      } else {
        log()->warn("download of {}: HTTP {}; retrying in {} s", version, r.status,
                    st.options.retry.count());
        retry_later(self);
        return;
      }
      std::error_code err;
      auto part = part_file(st);
      uint64_t have = fs::exists(part, err) ? fs::file_size(part, err) : 0;
      if (have + body.size() > size) {
        fs::remove(part, err);
        refuse(self, version, make_error(ec::size_exceeded,
                                         "the platform sent more than the "
                                           + std::to_string(size) + " signed bytes"));
        return;
      }
      // Each piece is on disk before the next is asked for: a crash resumes here.
      if (auto ok = append_durably(part, body); !ok) {
        log()->error("download of {}: {}", version, render(ok.error()));
        retry_later(self);
        return;
      }
      self->send(self, download_atom::value);
    },
    [=](const caf::error& e) {
      auto& st = self->state;
      if (code_of(e) == ec::too_large) {
        fs::remove(part_file(st));
        refuse(self, version,
               make_error(ec::size_exceeded, "the platform's answer is longer than the "
                                               + std::to_string(st.release->size)
                                               + " signed bytes; cut off there"));
        return;
      }
      log()->warn("download of {} failed: {}; retrying in {} s", version, render(e),
                  st.options.retry.count());
      retry_later(self);
    });
}

void settle_interrupted(self_pointer self, bool checked_in);

void consider(self_pointer self, const protocol::upgrade_offer& offer) {
  auto& st = self->state;
  settle_interrupted(self, true); // an offer comes with every check-in answered
  if (offer.version.empty() || offer.version == st.running_version) {
    forget_metadata(); // nothing offered (the check-in says so), or this very version
    // This very version's metadata signs its program files: self-protection
    // checks its reference copy against it (SPEC §13).
    if (!offer.version.empty() && !offer.metadata.empty())
      if (auto ok = keep_release_metadata(st.root_paths, offer.metadata); !ok)
        log()->error("cannot keep the release metadata of {}: {}", offer.version,
                     render(ok.error()));
    return;
  }
  if (st.handed_over)
    return;
  if (auto available = self_patching_available(); !available) {
    refuse(self, offer.version, available.error()); // logged once per offer
    return;
  }
  if (st.release && st.release->version == offer.version) {
    // Already on its way. The check-in that brought this offer reached the
    // platform: a download whose last piece failed (the platform restarted,
    // the network came back) resumes now rather than at its retry timer.
    if (st.piece_failed)
      fetch_next(self);
    return;
  }
  if (!st.keys) {
    refuse(self, offer.version,
           make_error(ec::signature_invalid, "no trust root is pinned: no release can be verified"));
    return;
  }
  auto memory = load_upgrade_memory(*st.store);
  if (!memory) {
    log()->error("cannot read what this host installed before: {}", render(memory.error()));
    return;
  }
  auto highest = memory->highest_version;
  auto running = version::parse(st.running_version);
  auto recorded = version::parse(highest);
  if (running && (!recorded || *running > *recorded))
    highest = st.running_version;
  release_checks checks{st.options.now(), memory->highest_serial, highest};
  auto meta = check_release(offer.metadata, *st.keys, checks);
  if (!meta) {
    if (code_of(meta.error()) == ec::metadata_expired) {
      // Signed by the pinned key (checked before expiry): its times are true.
      if (auto payload = open_document(offer.metadata, *st.keys))
        if (auto expired = release_metadata::parse(*payload))
          record_metadata(*expired, checks.now);
    } else {
      forget_metadata(); // refused for another cause, which the upgrade report names
    }
    refuse(self, offer.version, meta.error());
    return;
  }
  record_metadata(*meta, checks.now);
  if (meta->version != offer.version) {
    refuse(self, offer.version,
           make_error(ec::signature_invalid, "signed metadata of " + meta->version
                                               + " was offered as " + offer.version));
    return;
  }
  if (auto rolled = rolled_back_serial(*st.store, meta->version); rolled && *rolled
                                                                   && meta->serial <= **rolled)
    return; // rolled back under this metadata: not again until newer metadata
  auto dir = st.root_paths.patch_dir();
  std::error_code err;
  fs::create_directories(dir, err);
  fs::permissions(dir, fs::perms::owner_all, err);
  // Three packages' worth: the download (or the package rebuilt from a
  // patch, the larger), the staged copy, and the previous version's files.
  auto needed = std::max(meta->size, meta->expanded_size) * 3;
  if (auto free = free_disk_bytes(dir); free && *free < needed) {
    refuse(self, meta->version,
           make_error(ec::insufficient_disk_space,
                      std::to_string(*free) + " bytes free in " + dir.string() + ", "
                        + std::to_string(needed) + " needed"));
    return;
  }
  // The serial is remembered now: older metadata is never accepted again.
  if (auto ok = remember_upgrade(*st.store, meta->serial, st.running_version); !ok)
    log()->error("cannot record the metadata serial: {}", render(ok.error()));
  st.release = *meta;
  // A patch when the platform signed the expanded package and this host kept
  // the reference to rebuild it from; never over a download under way.
  std::error_code ignored;
  st.patch_pending = !meta->expanded_sha256.empty()
                     && fs::exists(patch_reference_file(st.root_paths, st.running_version), ignored)
                     && !fs::exists(part_file(st), ignored);
  st.marker.from = st.running_version;
  st.marker.target = meta->version;
  st.marker.serial = meta->serial;
  set_marker(self, "downloading");
  log()->info("upgrade to {} accepted (serial {}, {} bytes): downloading", meta->version,
              meta->serial, meta->size);
  fetch_next(self);
}

/// Leftovers of an upgrade no process works on any more: the previous
/// version's files (or the failed one's, after an interrupted rollback) and
/// an unfinished staging directory.
void remove_leftovers(const selfpatch_state& st) {
  std::error_code ignored;
  auto files = st.root_paths.program_files().string();
  fs::remove_all(files + ".previous", ignored);
  fs::remove_all(files + ".staging", ignored);
}

/// Finishes or undoes an upgrade whose installer or watcher was stopped
/// (SIGKILL, power loss) before it decided. The program files are always one
/// whole version (they are exchanged atomically), so the version running is
/// the one installed: the target, which is kept once a check-in was answered
/// (`checked_in`, the proof the watcher waited for), or the previous one, and
/// the upgrade was rolled back. Called at start, before each check-in and at
/// each check-in answered, so a host reports the outcome without a restart.
void settle_interrupted(self_pointer self, bool checked_in) {
  auto& st = self->state;
  auto& m = st.marker;
  if (m.state != "installing" && m.state != "watching" && m.state != "staged")
    return;
  if (m.watcher_pid > 0 && process_alive(m.watcher_pid))
    return; // the installer or its watcher is still at work
  // Its owner is gone, but may have written the outcome just before it
  // exited, after this copy was read: what is on disk now is the last word.
  if (m.watcher_pid > 0) {
    if (auto fresh = load_upgrade_marker(st.root_paths))
      st.marker = *fresh;
    if (m.state != "installing" && m.state != "watching" && m.state != "staged")
      return;
  }
  if (m.target == st.running_version) {
    if (!checked_in)
      return;
    remove_leftovers(st);
    set_marker(self, "succeeded");
    log()->warn("the installer of {} stopped before it decided; {} runs and checked in: "
                "upgrade succeeded",
                m.target, m.target);
  } else if (m.state != "staged") { // staged: the download is used again
    // This process may have been started from the previous files while the
    // installer was at work (before it stopped the service): the files on
    // disk are then the target, whole (they are exchanged atomically), and
    // the upgrade is not rolled back; this process restarts into them.
    auto installed = read_whole_file(st.root_paths.program_files() / "VERSION");
    if (installed && trim_blanks_and_line_breaks(*installed) == m.target) {
      if (!st.restarting && st.options.restart) {
        st.restarting = true;
        log()->warn("the program files are {} but this process runs {} (started while the "
                    "installer was at work): restarting into {}",
                    m.target, st.running_version, m.target);
        st.options.restart();
      }
      return;
    }
    remove_leftovers(st);
    set_marker(self, "rolled_back", "install_interrupted: the installer stopped before " + m.target
                                      + " was proven; " + st.running_version + " runs");
    if (auto ok = remember_rollback(*st.store, m.target, m.serial); !ok)
      log()->error("cannot record the rollback of {}: {}", m.target, render(ok.error()));
    log()->warn("{} was rolled back: {}", m.target, m.reason);
  }
}

/// What the marker the last run left says, now that this version runs.
void settle_marker(self_pointer self) {
  auto& st = self->state;
  auto& m = st.marker;
  if (m.state == "rolled_back" && !m.target.empty() && m.target != st.running_version) {
    if (auto ok = remember_rollback(*st.store, m.target, m.serial); !ok)
      log()->error("cannot record the rollback of {}: {}", m.target, render(ok.error()));
    log()->warn("{} was rolled back: {}", m.target, m.reason);
    return;
  }
  settle_interrupted(self, false);
}

} // namespace

selfpatch_actor::behavior_type selfpatch(selfpatch_actor::stateful_pointer<selfpatch_state> self,
                                         paths root_paths, std::shared_ptr<kv_store> store,
                                         transport_actor transport,
                                         std::shared_ptr<const trusted_keys> keys,
                                         std::string running_version, blackout_actor blackout,
                                         selfpatch_options options) {
  auto& st = self->state;
  st.root_paths = std::move(root_paths);
  st.store = std::move(store);
  st.transport = std::move(transport);
  st.keys = std::move(keys);
  st.running_version = std::move(running_version);
  st.options = std::move(options);
  if (!st.options.now)
    st.options.now = [] { return static_cast<int64_t>(std::time(nullptr)); };
  st.blackout = std::move(blackout);
  if (st.blackout)
    self->send(st.blackout, blackout_subscribe_atom::value, caf::actor_cast<caf::actor>(self));
  if (auto marker = load_upgrade_marker(st.root_paths))
    st.marker = *marker;
  else
    log()->error("the upgrade marker is unreadable ({}); starting from none",
                 render(marker.error()));
  if (auto ok = remember_upgrade(*st.store, 0, st.running_version); !ok)
    log()->error("cannot record the installed version: {}", render(ok.error()));
  settle_marker(self);
  return {
    [=](offer_atom, const protocol::upgrade_offer& offer) { consider(self, offer); },
    [=](download_atom) { fetch_next(self); },
    [=](blackout_atom, const blackout_answer& windows) {
      self->state.windows = windows;
      fetch_next(self);
    },
    [=](caf::get_atom) {
      // The upgrade watcher (another process) moves the marker on while this
      // version runs: read it afresh (this actor is detached; it is small).
      auto& st = self->state;
      if (auto marker = load_upgrade_marker(st.root_paths))
        st.marker = *marker;
      settle_interrupted(self, false);
      auto& m = st.marker;
      return protocol::upgrade_report{m.state, m.target, m.reason, m.at};
    },
  };
}

} // namespace vigil
