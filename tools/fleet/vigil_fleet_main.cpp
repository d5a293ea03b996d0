// vigil-fleet (issue 18, item 1): N simulated agents in one process against a
// platform, speaking protocol v1 through the agent's own code (protocol/,
// net/platform_client, the delta diff and codec, the uploader's decisions),
// then a host-by-host verification of what the platform holds.
//
// Shape, and why:
// - A fixed pool of worker threads (`--workers`, default 16) over one
//   time-ordered queue of agents (turn_queue). The project's https_client is
//   synchronous: a request runs on the calling thread. One thread per agent
//   would be 10,000 threads; CAF actors or Asio coroutines would need a
//   second, asynchronous client, i.e. a second implementation of the
//   protocol's transport. A worker blocked on the platform is what an agent
//   waiting for its answer is, so W workers keep at most W requests in
//   flight, and the queue says when the fleet falls behind (turn lag).
// - An agent is a few hundred bytes (fleet_agent.hpp): HostID, token, per
//   module seqs and a row *generation*; its rows are recomputed from its seed
//   (fleet_rows) when a delta is made or verified. 100,000 agents fit.
// - No connection per agent: each turn (one check-in cycle) opens a new TLS
//   connection on its worker, which the turn's requests share (keep-alive,
//   as the agent's transport does within a cycle), and closes it at the end
//   of the turn. Real agents check in every 15 minutes, longer than any
//   keep-alive, so each of their cycles pays a TLS handshake: so do ours. It
//   also bounds open descriptors by the workers, whatever N and `ulimit -n`.
// - Verification reads rows as `vigil-platform rows` does, through the
//   running server's admin socket (the platform's own read path under its own
//   lock: consistent while it serves, and whatever store it runs on), or from
//   its store when it has stopped (`--verify-only` after a kill or a restart).

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "net/https_client.hpp"
#include "tools/fleet/fleet_agent.hpp"
#include "tools/fleet/fleet_options.hpp"
#include "tools/fleet/fleet_schedule.hpp"
#include "tools/fleet/fleet_state.hpp"
#include "tools/fleet/platform_rows.hpp"
#include "tools/fleet/turn_queue.hpp"
#include "vigil_version.hpp"

using namespace vigil;
using namespace vigil::fleet;
using clock_type = std::chrono::steady_clock;

namespace {

int fail(const std::string& message, int code = 1) {
  std::cerr << "vigil-fleet: " << message << "\n";
  return code;
}

/// This process's resident set, in kB (VmRSS).
long rss_kb() {
  std::ifstream status{"/proc/self/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:"))
      return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

std::chrono::microseconds micros(double seconds) {
  return std::chrono::microseconds{static_cast<int64_t>(seconds * 1e6)};
}

/// Runs `work(worker, index)` for every index below `n` on `workers` threads.
void parallel_for(unsigned workers, std::size_t n,
                  const std::function<void(unsigned, std::size_t)>& work) {
  std::atomic<std::size_t> next{0};
  std::vector<std::jthread> threads;
  for (unsigned w = 0; w < workers; ++w)
    threads.emplace_back([&, w] {
      for (std::size_t i = next++; i < n; i = next++)
        work(w, i);
    });
}

/// Verifies every agent of `fleet` against the platform in `data_dir`, prints
/// the last line and returns the exit code.
int verify(const saved_fleet& fleet, const std::filesystem::path& data_dir, unsigned workers) {
  auto reader = platform_rows::open(data_dir);
  if (!reader)
    return fail("cannot read the platform's rows in " + data_dir.string() + ": "
                  + render(reader.error()),
                3);
  auto start = clock_type::now();
  std::mutex mutex;
  verify_counts total;
  std::size_t unreadable = 0;
  std::size_t shown = 0;
  parallel_for(std::min(workers, 4u), fleet.agents.size(), [&](unsigned, std::size_t i) {
    auto& agent = fleet.agents[i];
    auto counts = verify_agent(agent, fleet.model, [&](const std::string& h, const std::string& m) {
      return (*reader)->rows(h, m);
    });
    std::lock_guard guard{mutex};
    if (!counts) {
      if (unreadable++ < 5)
        std::cerr << "vigil-fleet: cannot read " << agent.host_id << ": " << render(counts.error())
                  << "\n";
      return;
    }
    if ((counts->lost || counts->duplicated) && shown++ < 10)
      std::cerr << "vigil-fleet: host " << agent.host_id << ": lost " << counts->lost
                << " rows, duplicated " << counts->duplicated << "\n";
    total += *counts;
  });
  std::cout << "verification: " << fleet.agents.size() << " hosts read from "
            << (*reader)->source() << " in "
            << std::chrono::duration<double>(clock_type::now() - start).count() << " s\n";
  if (unreadable)
    return fail(std::to_string(unreadable) + " hosts could not be read: not verified", 3);
  std::cout << "verified: " << fleet.agents.size() << " hosts, lost=" << total.lost
            << " duplicated=" << total.duplicated << std::endl;
  return total.lost == 0 && total.duplicated == 0 ? 0 : 1;
}

caf::expected<std::shared_ptr<const trusted_keys>> load_keys(const fleet_options& o) {
  if (!o.trust_key || !std::filesystem::exists(*o.trust_key))
    return std::shared_ptr<const trusted_keys>{};
  std::ifstream in{*o.trust_key};
  std::stringstream text;
  text << in.rdbuf();
  trusted_keys keys;
  if (auto ok = keys.add(text.str()); !ok)
    return make_error(ec::parse_error, o.trust_key->string() + ": " + render(ok.error()));
  return std::make_shared<const trusted_keys>(std::move(keys));
}

} // namespace

int main(int argc, char** argv) {
  auto parsed = parse_fleet_args({argv + 1, argv + argc});
  if (!parsed)
    return fail(context_of(parsed.error()) + "\n" + fleet_usage(), 2);
  auto& o = *parsed;
  if (o.help) {
    std::cout << fleet_usage();
    return 0;
  }
  if (o.verify_only) {
    std::ifstream in{*o.state_file};
    if (!in)
      return fail("cannot read " + o.state_file->string(), 2);
    std::stringstream text;
    text << in.rdbuf();
    auto fleet = parse_state_text(text.str());
    if (!fleet)
      return fail(render(fleet.error()), 2);
    return verify(*fleet, *o.data_dir, o.workers);
  }

  auto base = parse_url(o.url);
  if (!base)
    return fail("--url: " + render(base.error()), 2);
  auto keys = load_keys(o);
  if (!keys)
    return fail(render(keys.error()), 2);
  if (!*keys)
    std::cerr << "vigil-fleet: no root key pinned (--trust-key): manifests and orders will be "
                 "refused, as an agent without one refuses them\n";
  client_options client_opts;
  client_opts.trust.use_system_store = false;
  client_opts.trust.ca_bundle = o.ca;
  client_opts.user_agent = std::string{"vigil-fleet/"} + VIGIL_VERSION;
  client_opts.max_idle_connections = 1; // the turn's connection, closed when it ends
  std::vector<platform_client> clients;
  for (unsigned w = 0; w < o.workers; ++w) {
    auto client = https_client::make(client_opts);
    if (!client)
      return fail("--ca: " + render(client.error()), 2);
    clients.emplace_back(std::move(*client), *base);
  }

  profile_cache profiles;
  fleet_context ctx;
  ctx.customer_id = o.customer_id;
  ctx.activation_id = o.activation_id;
  ctx.model = {o.rows, o.row_changes};
  ctx.change_share = o.change_share;
  ctx.chunk_bytes = o.chunk_bytes;
  ctx.keys = *keys;
  ctx.profiles = &profiles;

  auto rss_before = rss_kb();
  saved_fleet fleet;
  fleet.model = ctx.model;
  fleet.agents.reserve(o.agents);
  for (std::size_t i = 0; i < o.agents; ++i)
    fleet.agents.push_back(make_agent(agent_seed(o.seed, i)));
  auto& agents = fleet.agents;

  auto interval = micros(o.interval_s);
  auto ramp = o.ramp_s < 0 ? interval : micros(o.ramp_s);
  std::cout << "vigil-fleet: " << o.agents << " agents, " << o.workers << " workers, check-in every "
            << o.interval_s << " s +-" << o.jitter * 100 << " %, first contacts over "
            << std::chrono::duration<double>(ramp).count() << " s, " << o.change_share * 100
            << " % of hosts changing per cycle, " << o.rows << " rows per module, for "
            << o.seconds << " s, seed " << o.seed << std::endl;

  turn_queue queue;
  auto start = clock_type::now();
  for (std::size_t i = 0; i < agents.size(); ++i)
    queue.put(i, start + first_offset(i, agents.size(), ramp, mix(agents[i].seed, 1)));
  auto deadline = start + micros(o.seconds);
  std::vector<fleet_stats> stats(o.workers);
  {
    std::vector<std::jthread> workers;
    for (unsigned w = 0; w < o.workers; ++w)
      workers.emplace_back([&, w] {
        while (auto turn = queue.take(deadline)) {
          auto [i, due] = *turn;
          auto& agent = agents[i];
          stats[w].lag(std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - due));
          run_turn(agent, clients[w], ctx, stats[w]);
          clients[w].close_idle_connections(true);
          queue.put(i, clock_type::now() + jittered(interval, o.jitter, mix(agent.seed, agent.cycle)));
        }
      });
  }
  auto ran = clock_type::now() - start;

  // What the agents left pending (a failure, or the run's end mid-upload)
  // goes up now, retried for at most --drain seconds, so the verification
  // compares settled state.
  auto drain_end = clock_type::now() + micros(o.drain_s);
  std::vector<std::size_t> pending;
  auto collect = [&] {
    pending.clear();
    for (std::size_t i = 0; i < agents.size(); ++i)
      for (auto& t : agents[i].modules)
        if (t.pending_seq != 0 && !agents[i].token.empty()) {
          pending.push_back(i);
          break;
        }
  };
  collect();
  std::size_t drained = pending.size();
  while (!pending.empty() && clock_type::now() < drain_end) {
    parallel_for(o.workers, pending.size(), [&](unsigned w, std::size_t k) {
      finish_uploads(agents[pending[k]], clients[w], ctx, stats[w]);
      clients[w].close_idle_connections(true);
    });
    collect();
    if (!pending.empty())
      std::this_thread::sleep_for(std::chrono::milliseconds{200}); // a failing platform: back off
  }

  fleet_stats total;
  for (auto& s : stats)
    total.merge(std::move(s));
  std::cout << total.report(ran);
  auto rss_after = rss_kb();
  std::size_t provisioned = 0, settled = 0;
  for (auto& a : agents) {
    provisioned += a.token.empty() ? 0 : 1;
    bool all = !a.modules.empty();
    for (auto& t : a.modules)
      all = all && t.acked_seq != 0;
    settled += all ? 1 : 0;
  }
  std::cout << "agents: " << provisioned << " of " << agents.size() << " provisioned, " << settled
            << " with every module's rows acknowledged\n";
  std::cout << "drain: " << drained << " agents had uploads pending at the end, "
            << pending.size() << " still pending\n"
            << "memory: RSS " << rss_before / 1024 << " MB before the agents, " << rss_after / 1024
            << " MB at the end: " << (rss_after - rss_before) * 1024 / static_cast<long>(agents.size())
            << " bytes per agent (state, measurements and buffers)\n";
  std::cout.flush();

  if (o.state_file) {
    std::ofstream out{*o.state_file, std::ios::trunc};
    out << state_text(fleet);
    if (!out.flush())
      return fail("cannot write " + o.state_file->string());
  }
  if (!o.data_dir)
    return fail("no --data-dir: cannot verify", 3);
  return verify(fleet, *o.data_dir, o.workers);
}
