#include "tools/healthcheck/health_probes.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "protocol/endpoints.hpp"
#include "protocol/status.hpp"

namespace vigil::health {

namespace {

using clock_type = std::chrono::steady_clock;

named_error named(const caf::error& e) {
  auto code = code_of(e);
  return {static_cast<int>(code), to_string(code), render(e)};
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

probe_fact probe_status(const https_client& client, const url& platform,
                        const std::optional<url>& proxy, const proxy_credentials& credentials) {
  probe_fact out;
  out.route = proxy ? proxy->to_string() : "direct";
  http_request request;
  request.target = protocol::endpoint_status(platform.target);
  auto shown = platform;
  shown.target = request.target;
  out.url = shown.to_string();
  auto start = clock_type::now();
  auto r = client.send(platform, request, proxy, credentials);
  out.seconds = seconds_since(start);
  if (!r) {
    out.error = named(r.error());
    return out;
  }
  out.http_status = static_cast<int>(r->status);
  if (r->status != 200) {
    out.error = named(make_error(ec::protocol_error, out.url + " answered HTTP "
                                                       + std::to_string(r->status)));
    return out;
  }
  if (auto parsed = protocol::parse_body<protocol::status_response>(r->body); !parsed) {
    out.error = named(parsed.error());
    return out;
  }
  out.succeeded = true;
  return out;
}

void probe_patch(const https_client& client, const proxy_settings& proxies, patch_fact& patch) {
  auto target = parse_url(patch.url);
  if (!target) {
    probe_fact bad;
    bad.url = patch.url;
    bad.error = named(target.error());
    patch.attempts.push_back(std::move(bad));
    return;
  }
  http_request request;
  request.target = target->target;
  std::vector<route_attempt> failed;
  auto start = clock_type::now();
  auto r = send_with_proxies(client, *target, request, proxies, &failed);
  double failed_seconds = 0;
  for (auto& a : failed) {
    probe_fact f;
    f.route = a.route;
    f.url = target->to_string();
    f.seconds = std::chrono::duration<double>(a.took).count();
    f.error = named(a.error);
    failed_seconds += f.seconds;
    patch.attempts.push_back(std::move(f));
  }
  if (!r) {
    if (failed.empty()) { // a single route: its own error came back
      probe_fact f;
      f.route = proxies.proxies.empty() ? "direct" : proxies.proxies.front().to_string();
      f.url = target->to_string();
      f.seconds = seconds_since(start);
      f.error = named(r.error());
      patch.attempts.push_back(std::move(f));
    }
    return;
  }
  probe_fact ok;
  ok.route = r->route;
  ok.url = target->to_string();
  ok.seconds = std::max(0.0, seconds_since(start) - failed_seconds);
  ok.http_status = static_cast<int>(r->response.status);
  if (r->response.status != 200) {
    ok.error = named(make_error(ec::protocol_error, ok.url + " answered HTTP "
                                                      + std::to_string(r->response.status)));
  } else {
    ok.succeeded = true;
    patch.actual_sha256 = sha256_hex(r->response.body);
  }
  patch.attempts.push_back(std::move(ok));
}

} // namespace

struct probe_runner::shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::optional<probe_fact>> status_results; ///< direct, then each proxy
  std::vector<probe_fact> status_placeholders;           ///< what to say on timeout
  patch_fact patch;
  bool patch_done = false;
  int running = 0;
  clock_type::time_point started = clock_type::now();
};

probe_runner::probe_runner(probe_config config, const patch_fact& patch,
                           std::chrono::steady_clock::time_point deadline)
  : shared_{std::make_shared<shared>()}, deadline_{deadline} {
  auto& sh = *shared_;
  sh.patch = patch;
  sh.patch_done = !patch.configured;
  auto client = https_client::make(config.client);
  auto patch_options = config.client;
  patch_options.max_response_bytes = config.max_patch_bytes;
  auto patch_client = https_client::make(patch_options);
  if (config.platform) {
    std::vector<std::optional<url>> routes{std::nullopt};
    for (auto& p : config.proxies.proxies)
      routes.emplace_back(p);
    for (auto& route : routes) {
      probe_fact placeholder;
      placeholder.route = route ? route->to_string() : "direct";
      auto shown = *config.platform;
      shown.target = protocol::endpoint_status(config.platform->target);
      placeholder.url = shown.to_string();
      sh.status_placeholders.push_back(placeholder);
      sh.status_results.emplace_back();
      auto index = sh.status_results.size() - 1;
      if (!client) {
        placeholder.error = named(client.error());
        sh.status_results[index] = placeholder;
        continue;
      }
      ++sh.running;
      std::thread{[state = shared_, c = *client, platform = *config.platform, route,
                   credentials = route ? credentials_for(config.proxies, *route)
                                       : proxy_credentials{},
                   index] {
        auto result = probe_status(c, platform, route, credentials);
        std::lock_guard guard{state->mutex};
        state->status_results[index] = std::move(result);
        --state->running;
        state->changed.notify_all();
      }}.detach();
    }
  }
  if (patch.configured) {
    if (!patch_client) {
      probe_fact f;
      f.url = patch.url;
      f.error = named(patch_client.error());
      sh.patch.attempts.push_back(std::move(f));
      sh.patch_done = true;
    } else {
      ++sh.running;
      std::thread{[state = shared_, c = *patch_client, proxies = config.proxies, patch] {
        auto result = patch;
        probe_patch(c, proxies, result);
        std::lock_guard guard{state->mutex};
        state->patch = std::move(result);
        state->patch_done = true;
        --state->running;
        state->changed.notify_all();
      }}.detach();
    }
  }
}

probe_runner::~probe_runner() = default;

std::vector<probe_fact> probe_runner::connectivity() {
  std::unique_lock lock{shared_->mutex};
  auto& sh = *shared_;
  auto all_done = [&] {
    return std::all_of(sh.status_results.begin(), sh.status_results.end(),
                       [](auto& r) { return r.has_value(); });
  };
  sh.changed.wait_until(lock, deadline_, all_done);
  std::vector<probe_fact> out;
  for (size_t i = 0; i < sh.status_results.size(); ++i) {
    if (sh.status_results[i]) {
      out.push_back(*sh.status_results[i]);
      continue;
    }
    auto late = sh.status_placeholders[i];
    late.seconds = seconds_since(sh.started);
    late.error = named(make_error(ec::timeout, late.url + " via " + late.route
                                                 + " gave no answer before the health check's deadline"));
    out.push_back(std::move(late));
  }
  return out;
}

patch_fact probe_runner::patch() {
  std::unique_lock lock{shared_->mutex};
  auto& sh = *shared_;
  sh.changed.wait_until(lock, deadline_, [&] { return sh.patch_done; });
  if (sh.patch_done)
    return sh.patch;
  auto out = sh.patch;
  probe_fact late;
  late.url = out.url;
  late.seconds = seconds_since(sh.started);
  late.error = named(make_error(ec::timeout, out.url
                                               + " did not finish downloading before the health "
                                                 "check's deadline"));
  out.attempts.push_back(std::move(late));
  return out;
}

bool probe_runner::abandoned() const {
  std::lock_guard guard{shared_->mutex};
  return shared_->running > 0;
}

} // namespace vigil::health
