// Self-patching on the platform (SPEC §12): adding releases, serving their
// packages with byte ranges, recording hosts' upgrade reports, halting a
// rollout that goes wrong, and deciding whom to offer a release.

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "platform/byte_range.hpp"
#include "platform/platform_store.hpp"
#include "platform/service.hpp"
#include "platform/service_util.hpp"
#include "protocol/error_response.hpp"

using nlohmann::json;

namespace vigil::platform {

using namespace detail;
namespace codes = protocol::error_codes;

caf::expected<void> platform_service::load_rollouts() {
  auto releases = load_releases(store_);
  if (!releases)
    return releases.error();
  upgrade_tracker upgrades;
  auto scanned = store_.scan(column::checkins, "", [&](std::string_view key, std::string_view value) {
    auto record = json::parse(value, nullptr, false);
    if (record.is_object() && record.contains("upgrade"))
      upgrades.restore(std::string{key}, record["upgrade"]);
    return true;
  });
  if (!scanned)
    return scanned.error();
  // Releases another instance added: their files, from the store.
  if (!options_.data_dir.empty())
    for (auto& [version, record] : *releases)
      if (auto ok = materialize_release_files(store_, options_.data_dir, record); !ok
          && options_.notice)
        options_.notice("release " + version + " cannot be served here: " + render(ok.error()));
  std::lock_guard guard{rollout_mutex_};
  releases_ = std::move(*releases);
  upgrades_ = std::move(upgrades);
  return {};
}

caf::expected<json> platform_service::add_release(const std::string& file, int64_t valid_s,
                                                  const patch_options& patches) {
  if (!options_.signer)
    return make_error(ec::invalid_argument, "the platform has no signing key to sign releases");
  if (options_.data_dir.empty())
    return make_error(ec::invalid_argument, "the platform has no data directory for releases");
  // Read (and hash) before excluding everyone: the file may be large.
  auto package = read_release_package(file);
  if (!package)
    return package.error();
  auto guard = lock_everything();
  if (!guard)
    return guard.error();
  auto record = store_release(store_, options_.data_dir, *package, *options_.signer, now_(),
                              valid_s, patches);
  if (!record)
    return record.error();
  auto meta = json::parse(record->metadata.to_json_text());
  meta["patches_from"] = release_patches_of(options_.data_dir, record->metadata.version);
  if (auto ok = bump_generation(); !ok)
    return ok.error();
  std::lock_guard rollout{rollout_mutex_};
  releases_[record->metadata.version] = std::move(*record);
  return meta;
}

caf::expected<json> platform_service::list_releases() {
  auto guard = lock_everything();
  if (!guard)
    return guard.error();
  std::lock_guard rollout{rollout_mutex_};
  json out = json::array();
  for (auto& [version, record] : releases_) {
    auto& m = record.metadata;
    auto tally = upgrades_.tally(version, m.serial);
    json entry{{"version", version},           {"serial", m.serial},
               {"sha256", m.sha256},           {"size", m.size},
               {"issued_at", m.issued_at},     {"expires_at", m.expires_at},
               {"expired", now_() > m.expires_at},
               {"tried", tally.tried},         {"succeeded", tally.succeeded},
               {"rolled_back", tally.rolled_back},
               {"halted", record.halted.has_value()}};
    if (record.halted)
      entry["halted_at"] = record.halted->at;
    out.push_back(std::move(entry));
  }
  return out;
}

bool platform_service::record_upgrade(const std::string& host_id,
                                      const protocol::upgrade_report& report,
                                      std::optional<release_record>& halted) {
  std::optional<std::string> line;
  bool changed = false;
  {
    std::lock_guard guard{rollout_mutex_};
    auto release = releases_.find(report.target);
    uint64_t serial = release == releases_.end() ? 0 : release->second.metadata.serial;
    changed = upgrades_.record(host_id, report, serial);
    if (!changed || release == releases_.end() || release->second.halted
        || !counts_as_tried(report.state))
      return changed;
    auto tally = upgrades_.tally(report.target, serial);
    if (!should_halt(tally, options_.rollout_halt))
      return changed;
    // Once per rollout: the halt is kept with the release, so neither another
    // check-in nor a restart reports it again.
    release->second.halted = release_halt{now_(), tally.tried, tally.rolled_back};
    halted = release->second;
    line = "rollout of " + report.target + " halted: " + std::to_string(tally.rolled_back)
           + " of " + std::to_string(tally.tried) + " hosts rolled back";
  }
  if (line && options_.notice)
    options_.notice(*line);
  return changed;
}

offer_decision platform_service::decide_upgrade(const std::string& host_id,
                                                const std::string& agent_version,
                                                const protocol::profile& profile,
                                                std::optional<protocol::upgrade_offer>* offer) {
  offer_inputs in;
  in.host_id = host_id;
  in.agent_version = agent_version;
  in.target_version = profile.target_version;
  in.rollout_percent = profile.rollout_percent;
  std::lock_guard guard{rollout_mutex_};
  auto release = releases_.find(profile.target_version);
  if (release != releases_.end()) {
    in.release_exists = true;
    in.release_serial = release->second.metadata.serial;
    in.release_halted = release->second.halted.has_value();
    auto host = upgrades_.of(host_id);
    if (auto i = host.rolled_back.find(profile.target_version); i != host.rolled_back.end())
      in.rolled_back_serial = i->second;
  }
  auto decision = decide_offer(in);
  // A host already on the target gets its own release's metadata too: it
  // signs the program files that self-protection restores (SPEC §13); the
  // agent installs nothing for its own version.
  if ((decision == offer_decision::offer || decision == offer_decision::current) && offer)
    *offer = protocol::upgrade_offer{release->second.metadata.version, release->second.envelope};
  return decision;
}

http_response platform_service::release_package(const http_request& request,
                                                request_context& ctx,
                                                const std::string& version) {
  uint64_t total = 0;
  std::string sha256;
  {
    std::lock_guard guard{rollout_mutex_};
    auto release = releases_.find(version);
    if (release == releases_.end() || options_.data_dir.empty())
      return error_answer(codes::not_found, "no release " + version);
    total = release->second.metadata.size;
    sha256 = release->second.metadata.sha256;
  }
  auto etag = "\"" + sha256 + "\"";
  auto range = parse_byte_range(request.fields.get("Range"), total);
  // If-Range: a range only of the package the client started with; another
  // package (the version added again) is sent whole.
  if (auto if_range = request.fields.get("If-Range"); !if_range.empty() && if_range != etag)
    range = byte_range{};
  if (range.what == byte_range::kind::unsatisfiable) {
    ctx.outcome = "range=unsatisfiable";
    auto r = json_answer(416, protocol::to_body(protocol::error_response{
                                std::string{codes::invalid_request},
                                "the range starts past the package's " + std::to_string(total)
                                  + " bytes",
                                std::nullopt}));
    r.fields.set("Content-Range", "bytes */" + std::to_string(total));
    return r;
  }
  bool partial = range.what == byte_range::kind::partial;
  uint64_t first = partial ? range.first : 0;
  uint64_t last = partial ? range.last : (total == 0 ? 0 : total - 1);
  auto bytes = read_package_bytes(options_.data_dir, version, first,
                                  total == 0 ? 0 : last - first + 1);
  if (!bytes)
    return store_failure(bytes.error());
  // Adding a release excludes this read (the global lock), so a short read
  // means the file on disk was damaged: a failure, never a short answer.
  if (bytes->size() != (total == 0 ? 0 : last - first + 1))
    return store_failure(make_error(ec::corruption, "the package of " + version
                                                      + " is shorter than its metadata says"));
  http_response r;
  r.status = partial ? 206 : 200;
  r.fields.set("Content-Type", "application/octet-stream");
  r.fields.set("Accept-Ranges", "bytes");
  r.fields.set("ETag", etag);
  if (partial) {
    auto span = std::to_string(first) + "-" + std::to_string(last);
    r.fields.set("Content-Range", "bytes " + span + "/" + std::to_string(total));
    ctx.outcome = "range=" + span;
  } else {
    ctx.outcome = "range=whole";
  }
  r.body = std::move(*bytes);
  return r;
}

http_response platform_service::release_patch(request_context& ctx, const std::string& version,
                                              const std::string& from) {
  {
    std::lock_guard guard{rollout_mutex_};
    if (!releases_.contains(version) || options_.data_dir.empty())
      return error_answer(codes::not_found, "no release " + version);
  }
  auto bytes = read_whole_file(release_patch_file(options_.data_dir, version, from));
  if (!bytes) {
    if (code_of(bytes.error()) == ec::not_found)
      return error_answer(codes::not_found, "no patch to " + version + " from " + from);
    return store_failure(bytes.error());
  }
  http_response r;
  r.status = 200;
  r.fields.set("Content-Type", "application/zstd");
  ctx.outcome = "patch-from=" + from;
  r.body = std::move(*bytes);
  return r;
}

} // namespace vigil::platform
