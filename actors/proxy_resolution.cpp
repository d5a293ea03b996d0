#include "actors/proxy_resolution.hpp"

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "host/hive_store.hpp"
#include "host/logging.hpp"
#include "host/proxy_grammar.hpp"
#include "host/secret_box.hpp"
#include "host/system_proxy.hpp"
#include "host/text_encoding.hpp"

namespace vigil {

namespace {

std::string read_or_empty(const std::filesystem::path& file) {
  auto text = read_whole_file(file);
  return text ? std::move(*text) : std::string{};
}

/// The URL given to FindProxyForURL: for https only scheme and authority, as
/// browsers do (the path of an encrypted request is not the proxy's business).
std::string pac_url_of(const url& target) {
  if (target.scheme == "https")
    return target.scheme + "://" + target.authority() + "/";
  return target.to_string();
}

std::string outcome_of(const proxy_config& config, const merged_routes& merged) {
  std::string text = describe(merged.settings);
  text += config.pac_url ? " [PAC " + mask_userinfo(*config.pac_url) + "]" : "";
  text += config.wpad ? " [WPAD on]" : "";
  text += config.system_proxy ? " [system proxy on]" : "";
  return text;
}

} // namespace

proxy_resolution::proxy_resolution(proxy_resolution_options options)
  : options_{std::move(options)} {
}

void proxy_resolution::invalidate() {
  cache_.clear();
}

proxy_credentials proxy_resolution::credentials() {
  proxy_credentials out;
  if (!config_.username)
    return out;
  out.username = *config_.username;
  if (!config_.sealed_password) {
    opened_for_.reset();
    password_.clear();
    return out;
  }
  if (opened_for_ != config_.sealed_password) {
    password_.clear();
    opened_for_ = config_.sealed_password;
    auto box = secret_box::open(options_.root);
    auto opened = box ? box->open_sealed(*config_.sealed_password, proxy_password_purpose)
                      : caf::expected<std::string>{box.error()};
    if (opened)
      password_ = std::move(*opened);
    else
      module_logger(log_module::proxy)
        ->error("the proxy password cannot be decrypted ({}); proxies get the user name "
                "without it. Set it again with vigil-proxy /p",
                render(opened.error()));
  }
  out.password = password_;
  return out;
}

std::optional<source_result> proxy_resolution::from_cache(const std::string& key) {
  auto i = cache_.find(key);
  if (i == cache_.end())
    return std::nullopt;
  auto ttl = i->second.result.failure && i->second.result.routes.empty() ? options_.failure_ttl
                                                                          : options_.pac_ttl;
  if (std::chrono::steady_clock::now() - i->second.at >= ttl) {
    cache_.erase(i);
    return std::nullopt;
  }
  return i->second.result;
}

source_result proxy_resolution::remember(const std::string& key, source_result result) {
  if (result.failure)
    module_logger(log_module::proxy)
      ->warn("{}: {}; falling back to the next proxy source", result.source, *result.failure);
  cache_[key] = {std::chrono::steady_clock::now(), result};
  return result;
}

source_result proxy_resolution::pac_source(const std::string& pac_url, const std::string& target,
                                           const std::string& host) {
  auto key = "pac\n" + pac_url + "\n" + target;
  if (auto hit = from_cache(key))
    return *hit;
  // A PAC file from the administrator's URL names the administrator's
  // proxies only when it came over https: over plain http, anyone on the
  // path could name their own.
  source_result result{"PAC " + mask_userinfo(pac_url), {}, {},
                       iequals(std::string_view{pac_url}.substr(0, 8), "https://")
                         || iequals(std::string_view{pac_url}.substr(0, 7), "file://")};
  if (!options_.fetch || !options_.evaluate) {
    result.failure = "PAC files are not supported by this build";
    return remember(key, std::move(result));
  }
  auto script = options_.fetch(pac_url);
  if (!script) {
    result.failure = "download failed: " + render(script.error());
    return remember(key, std::move(result));
  }
  auto routes = options_.evaluate(*script, pac_url, target, host);
  if (!routes)
    result.failure = "evaluation failed: " + render(routes.error());
  else
    result.routes = std::move(*routes);
  return remember(key, std::move(result));
}

source_result proxy_resolution::wpad_source(const std::string& target, const std::string& host) {
  auto key = "wpad\n" + target;
  if (auto hit = from_cache(key))
    return *hit;
  auto candidates = wpad_candidates(options_.fqdn,
                                    resolv_conf_domains(read_or_empty(options_.root.resolv_conf())));
  source_result result{"WPAD", {}, {}};
  if (candidates.empty()) {
    result.failure = "no DNS domain to search (FQDN '" + options_.fqdn
                     + "', no search or domain line in resolv.conf)";
    return remember(key, std::move(result));
  }
  std::string tried;
  for (auto& candidate : candidates) {
    auto script = options_.fetch ? options_.fetch(candidate)
                                 : caf::expected<std::string>{make_error(ec::not_found)};
    if (!script) {
      tried += (tried.empty() ? "" : "; ") + candidate + ": " + render(script.error());
      continue;
    }
    result.source = "WPAD " + candidate;
    auto routes = options_.evaluate
                    ? options_.evaluate(*script, candidate, target, host)
                    : caf::expected<std::vector<candidate_route>>{make_error(ec::not_found)};
    if (!routes)
      result.failure = "evaluation failed: " + render(routes.error());
    else
      result.routes = std::move(*routes);
    return remember(key, std::move(result));
  }
  result.failure = "no WPAD file found (" + tried + ")";
  return remember(key, std::move(result));
}

source_result proxy_resolution::system_source(const std::string& scheme, const std::string& host,
                                              uint16_t port) {
  auto env = merge_environments(proxy_environment_of(options_.service_environment),
                                parse_etc_environment(read_or_empty(options_.root.etc_environment())));
  source_result result{"system proxy", {}, {}};
  if (auto proxy = system_proxy_for(env, scheme, host, port))
    result.routes.push_back({false, *proxy});
  else if (env.no_proxy && no_proxy_matches(*env.no_proxy, host, port))
    result.routes.push_back({true, {}}); // no_proxy chose a direct connection
  return result;
}

merged_routes proxy_resolution::resolve(const std::string& target) {
  auto log = module_logger(log_module::proxy);
  // The system's settings store: the hive file on Linux, the registry on
  // Windows (reading the file there found no proxy, and the agent went direct).
  auto loaded = load_proxy_config(*open_hive_store(options_.root));
  if (loaded) {
    config_ = std::move(*loaded);
    config_read_ = true;
  } else {
    log->error("cannot read the proxy settings ({}); {}", render(loaded.error()),
               config_read_ ? "keeping the last ones read" : "using none");
  }
  auto parsed = parse_url(target);
  std::vector<source_result> sources;
  if (!config_.proxy_urls.empty())
    sources.push_back({"ProxyUrls", routes_of_list(config_.proxy_urls), {}, true});
  if (parsed) {
    auto pac_target = pac_url_of(*parsed);
    if (config_.pac_url)
      sources.push_back(pac_source(*config_.pac_url, pac_target, parsed->host));
    if (config_.wpad)
      sources.push_back(wpad_source(pac_target, parsed->host));
    if (config_.system_proxy)
      sources.push_back(system_source(parsed->scheme, parsed->host, parsed->port));
  } else {
    log->error("cannot resolve proxies for '{}': {}", mask_userinfo(target),
               render(parsed.error()));
  }
  auto merged = merge_routes(sources, config_.direct_fallback, config_.any_source(), credentials(),
                             config_.credentials_to_any);
  if (auto outcome = outcome_of(config_, merged); outcome != last_outcome_) {
    log->info("routes to {}: {}", parsed ? parsed->to_string() : mask_userinfo(target), outcome);
    for (auto& note : merged.notes)
      log->info("  {}", note);
    last_outcome_ = std::move(outcome);
  }
  return merged;
}

} // namespace vigil
