#include "tools/fleet/fleet_agent.hpp"

#include <algorithm>
#include <cstdio>

#include "actors/upload_logic.hpp"
#include "common/error.hpp"
#include "protocol/body.hpp"
#include "protocol/delta_codec.hpp"
#include "protocol/endpoints.hpp"
#include "protocol/error_response.hpp"
#include "protocol/guid.hpp"
#include "protocol/signed_manifest.hpp"
#include "protocol/signed_order.hpp"
#include "protocol/upload.hpp"
#include "protocol/upload_position.hpp"
#include "tools/fleet/fleet_schedule.hpp"
#include "vigil_version.hpp"

namespace vigil::fleet {

namespace {

using clock = std::chrono::steady_clock;

constexpr const char* agent_version = VIGIL_VERSION;

/// Runs `call`, recording its time and outcome as one `o` in `stats`.
template <class Call>
auto timed(fleet_stats& stats, op o, Call&& call) {
  auto start = clock::now();
  auto result = call();
  stats.record(o, start, clock::now(), result ? caf::error{} : result.error());
  return result;
}

std::string hex(uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*llX", digits, static_cast<unsigned long long>(v));
  return std::string{buf}.substr(std::string{buf}.size() - static_cast<std::size_t>(digits));
}

protocol::host_inventory inventory_of(const agent_state& agent) {
  protocol::host_inventory inv;
  auto h = mix(agent.seed, 0x696e76ull);
  inv.hostname = "fleet-" + hex(h, 10);
  inv.fqdn = inv.hostname + ".fleet.test";
  inv.os_name = "Debian GNU/Linux";
  inv.os_version = "12";
  inv.kernel = "6.1.0-18-amd64";
  inv.arch = "x86_64";
  inv.ipv4 = {"10." + std::to_string((h >> 8) & 255) + "." + std::to_string((h >> 16) & 255) + "."
              + std::to_string(1 + ((h >> 24) % 254))};
  auto mac = hex(h >> 16, 12);
  std::string text;
  for (int i = 0; i < 12; i += 2)
    text += (i ? ":" : "") + mac.substr(static_cast<std::size_t>(i), 2);
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  inv.macs = {text};
  return inv;
}

bool provision(agent_state& agent, platform_client& client, const fleet_context& ctx,
               fleet_stats& stats) {
  protocol::provision_request request;
  request.customer_id = ctx.customer_id;
  request.activation_id = ctx.activation_id;
  request.host_id = agent.host_id;
  request.fingerprint = hex(mix(agent.seed, 0x6670ull), 16) + hex(mix(agent.seed, 0x6671ull), 16);
  request.agent_version = agent_version;
  request.inventory = inventory_of(agent);
  client.set_credentials({}, {});
  auto answer = timed(stats, op::provision, [&] { return client.provision(request); });
  if (!answer)
    return false;
  if (answer->result == protocol::provision_result::reprovision) {
    // Another host had this HostID (a clone, SPEC §6.2): a new one, next turn.
    agent.host_id = protocol::make_guid();
    return false;
  }
  agent.token = answer->agent_token;
  return true;
}

void set_profile(agent_state& agent, std::shared_ptr<const protocol::profile> p) {
  agent.profile = std::move(p);
  for (auto& m : agent.profile->modules) {
    if (!m.activated)
      continue;
    auto known = std::find_if(agent.modules.begin(), agent.modules.end(),
                              [&](const module_track& t) { return t.name == m.name; });
    if (known == agent.modules.end())
      agent.modules.push_back(module_track{m.name});
  }
}

bool activated(const agent_state& agent, const std::string& module) {
  if (!agent.profile)
    return false;
  for (auto& m : agent.profile->modules)
    if (m.name == module)
      return m.activated;
  return false;
}

/// Fetches `track`'s manifest unless its version is current (304), and
/// verifies it as the checkin actor does.
bool fetch_manifest(module_track& track, platform_client& client, const fleet_context& ctx,
                    fleet_stats& stats) {
  http_request request;
  request.target = "v1/manifests/" + track.name;
  std::optional<int64_t> cached;
  if (track.manifest_version > 0) {
    cached = track.manifest_version;
    request.fields.set("If-None-Match", "\"v" + std::to_string(track.manifest_version) + "\"");
  }
  auto version = timed(stats, op::manifest, [&]() -> caf::expected<int64_t> {
    auto r = client.request(request);
    if (!r)
      return r.error();
    if (r->status == 304) {
      stats.not_modified(op::manifest);
      return track.manifest_version;
    }
    if (r->status != 200)
      return protocol::error_of_answer(static_cast<int>(r->status), r->body);
    auto m = protocol::open_signed_manifest(r->body, track.name, ctx.keys.get(), cached);
    if (!m)
      return m.error();
    return m->content.version;
  });
  if (!version)
    return false;
  track.manifest_version = *version;
  return true;
}

/// Carries out the orders of a check-in's answer once each, and queues their
/// acknowledgements, as the orders actor does: what it cannot verify is
/// refused, what a simulated host cannot do fails with the reason.
void take_orders(agent_state& agent, const std::vector<std::string>& envelopes,
                 const fleet_context& ctx, fleet_stats& stats) {
  for (auto& envelope : envelopes) {
    protocol::order_ack ack;
    caf::expected<protocol::order> o = make_error(ec::signature_invalid, "no pinned root key");
    if (ctx.keys)
      o = protocol::open_signed_order(envelope, *ctx.keys, agent.host_id);
    if (!o) {
      auto id = protocol::unverified_order_id(envelope);
      if (!id)
        continue;
      ack = {*id, std::string{protocol::order_result_refused}, render(o.error())};
    } else if (std::find(agent.done_orders.begin(), agent.done_orders.end(), o->id)
               != agent.done_orders.end()) {
      ack = {o->id, std::string{protocol::order_result_done}, {}};
    } else {
      agent.done_orders.push_back(o->id);
      stats.order_seen();
      if (o->type == protocol::order_type::scan) {
        agent.scan_now = true;
        ack = {o->id, std::string{protocol::order_result_done}, {}};
      } else {
        ack = {o->id, std::string{protocol::order_result_failed},
               "vigil-fleet simulates no " + std::string{protocol::to_string(o->type)} + " order"};
      }
    }
    if (std::find(agent.acks.begin(), agent.acks.end(), ack) == agent.acks.end())
      agent.acks.push_back(std::move(ack));
  }
}

bool check_in(agent_state& agent, platform_client& client, const fleet_context& ctx,
              fleet_stats& stats) {
  protocol::checkin_request request;
  request.host_id = agent.host_id;
  request.agent_version = agent_version;
  request.profile_etag = agent.profile ? agent.profile->etag : std::string{};
  for (auto& t : agent.modules)
    request.modules.push_back({t.name, t.pending_seq ? "upload_pending" : "idle", 0, t.pending_seq});
  request.order_acks = agent.acks;
  auto answer = timed(stats, op::checkin, [&] { return client.checkin(request); });
  if (!answer)
    return false;
  // The platform has these acknowledgements; orders it still delivers are
  // acknowledged again below.
  agent.acks.clear();
  take_orders(agent, answer->signed_orders, ctx, stats);
  if (!agent.profile || answer->profile_etag != agent.profile->etag) {
    auto p = timed(stats, op::profile, [&] {
      return client.profile(agent.profile ? agent.profile->etag : std::string{});
    });
    if (!p)
      return false;
    if (*p)
      set_profile(agent, ctx.profiles->intern(std::move(**p)));
    else
      stats.not_modified(op::profile);
    // A new profile: every manifest by version, as the checkin actor does.
    for (auto& t : agent.modules)
      if (activated(agent, t.name) && !fetch_manifest(t, client, ctx, stats))
        return false;
    return true;
  }
  for (auto& t : agent.modules)
    if (activated(agent, t.name) && t.manifest_version == 0 && !fetch_manifest(t, client, ctx, stats))
      return false;
  return true;
}

/// The scan of one cycle: a module with a manifest and nothing pending gets
/// its first full snapshot, or new rows when the host changes this cycle.
void scan(agent_state& agent, const fleet_context& ctx) {
  bool changes = agent.scan_now || changes_in_cycle(agent.seed, agent.cycle, ctx.change_share);
  for (auto& t : agent.modules) {
    if (!activated(agent, t.name) || t.manifest_version == 0 || t.pending_seq != 0)
      continue;
    if (t.acked_seq == 0) {
      t.pending_seq = 1;
      t.pending_full = true;
    } else if (changes) {
      ++t.gen;
      t.pending_seq = t.acked_seq + 1;
      t.pending_full = false;
    }
  }
  agent.scan_now = false;
}

/// The step the platform's answer to the status request calls for, as
/// actors/uploader's handle_status reads it.
caf::expected<std::pair<uint64_t, uint64_t>> ask_status(const module_track& t,
                                                        platform_client& client,
                                                        fleet_stats& stats) {
  return timed(stats, op::upload_status, [&]() -> caf::expected<std::pair<uint64_t, uint64_t>> {
    http_request request;
    request.target = protocol::endpoint_delta("", t.name, t.pending_seq);
    auto r = client.request(request);
    if (!r)
      return r.error();
    auto position = protocol::read_upload_position(static_cast<int>(r->status), r->body);
    if (!position)
      return position.error();
    return std::pair{position->expected_seq, position->received_bytes};
  });
}

void acknowledged(module_track& t) {
  t.acked_seq = t.pending_seq;
  t.acked_gen = t.gen;
  t.pending_seq = 0;
  t.pending_full = false;
}

/// Uploads `t`'s pending delta, resuming from what the platform holds;
/// returns whether nothing is pending any more.
bool upload(agent_state& agent, module_track& t, platform_client& client,
            const fleet_context& ctx, fleet_stats& stats) {
  for (int step = 0; step < 4 && t.pending_seq != 0; ++step) {
    auto status = ask_status(t, client, stats);
    if (!status)
      return false;
    auto [expected, received] = *status;
    switch (decide_upload(t.pending_seq, t.pending_full, expected)) {
      case upload_step::acknowledge:
        acknowledged(t);
        break;
      case upload_step::renumber:
        // The platform's view is not our baseline: a full snapshot at its seq.
        t.pending_seq = expected;
        t.pending_full = true;
        break;
      case upload_step::send: {
        auto d = delta_between(ctx.model, agent.seed, t.name, t.pending_seq, t.pending_full,
                               t.acked_gen, t.gen);
        auto rows = d.upserts.size() + d.removals.size();
        auto bytes = protocol::encode_delta(d);
        upload_options options;
        options.chunk_bytes = ctx.chunk_bytes;
        options.received = received;
        auto result = timed(stats, op::upload,
                            [&] { return client.upload_delta(t.name, t.pending_seq, bytes, options); });
        if (!result)
          return false;
        if (result->applied) {
          stats.delta_applied(t.pending_full, rows, bytes.size());
          acknowledged(t);
        }
        // A duplicate: applied by an earlier call; the next status says how.
        break;
      }
    }
  }
  return t.pending_seq == 0;
}

} // namespace

std::shared_ptr<const protocol::profile> profile_cache::intern(protocol::profile p) {
  std::lock_guard guard{mutex_};
  auto& slot = by_etag_[p.etag];
  if (!slot || !(*slot == p))
    slot = std::make_shared<const protocol::profile>(std::move(p));
  return slot;
}

agent_state make_agent(uint64_t seed) {
  agent_state agent;
  agent.seed = seed;
  agent.host_id = protocol::guid_from_hex(hex(mix(seed, 0x686f7374ull), 16) + hex(mix(seed, 0x6964ull), 16));
  return agent;
}

void run_turn(agent_state& agent, platform_client& client, const fleet_context& ctx,
              fleet_stats& stats) {
  ++agent.cycle;
  if (agent.token.empty() && !provision(agent, client, ctx, stats))
    return;
  client.set_credentials(agent.host_id, agent.token);
  if (!check_in(agent, client, ctx, stats))
    return;
  scan(agent, ctx);
  for (auto& t : agent.modules)
    if (t.pending_seq != 0 && !upload(agent, t, client, ctx, stats))
      return;
}

bool finish_uploads(agent_state& agent, platform_client& client, const fleet_context& ctx,
                    fleet_stats& stats) {
  if (agent.token.empty())
    return true;
  client.set_credentials(agent.host_id, agent.token);
  bool done = true;
  for (auto& t : agent.modules)
    if (t.pending_seq != 0 && !upload(agent, t, client, ctx, stats))
      done = false;
  return done;
}

} // namespace vigil::fleet
