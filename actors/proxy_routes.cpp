#include "actors/proxy_routes.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "host/command_line.hpp"
#include "host/proxy_grammar.hpp"
#include "host/text_encoding.hpp"

namespace vigil {


merged_routes merge_routes(const std::vector<source_result>& sources, bool direct_fallback,
                           bool any_source_configured, const proxy_credentials& credentials,
                           bool credentials_to_any) {
  merged_routes out;
  out.settings.credentials = credentials;
  out.settings.credentials_to_any = credentials_to_any;
  bool direct_proposed = false;
  for (auto& source : sources) {
    if (source.failure)
      out.notes.push_back(source.source + ": " + *source.failure);
    for (auto& route : source.routes) {
      if (route.direct) {
        direct_proposed = true;
        continue;
      }
      auto parsed = parse_url(route.proxy);
      if (!parsed) {
        // The parser's message may quote the URL: quote it masked instead.
        auto masked = printable(route.proxy);
        auto why = context_of(parsed.error());
        for (auto at = why.find(route.proxy); !route.proxy.empty() && at != std::string::npos;
             at = why.find(route.proxy, at + masked.size()))
          why.replace(at, route.proxy.size(), masked);
        out.notes.push_back(source.source + ": skipped '" + masked + "': " + why);
        continue;
      }
      // One user name and password apply to every proxy (SPEC §10): any
      // written into a URL is not used, and never logged.
      parsed->username.clear();
      parsed->password.clear();
      parsed->target = "/";
      auto same = [&](const url& u) {
        return u.scheme == parsed->scheme && iequals(u.host, parsed->host) && u.port == parsed->port;
      };
      if (source.administrator_named
          && std::none_of(out.settings.credentialed.begin(), out.settings.credentialed.end(), same))
        out.settings.credentialed.push_back(*parsed);
      if (std::none_of(out.settings.proxies.begin(), out.settings.proxies.end(), same)) {
        if (!source.administrator_named && !credentials_to_any && !credentials.empty())
          out.notes.push_back(source.source + ": no credentials to " + parsed->to_string()
                              + " (not named by the administrator; vigil-proxy /e on allows it)");
        out.settings.proxies.push_back(std::move(*parsed));
      }
    }
  }
  bool none = out.settings.proxies.empty();
  out.settings.direct_fallback =
    direct_fallback || (none && (!any_source_configured || direct_proposed));
  out.no_route = none && !out.settings.direct_fallback;
  return out;
}

std::vector<candidate_route> routes_of_list(const std::vector<std::string>& urls) {
  std::vector<candidate_route> routes;
  for (auto& u : urls)
    routes.push_back({false, u.find("://") == std::string::npos ? "http://" + u : u});
  return routes;
}

std::string describe(const proxy_settings& settings) {
  if (settings.proxies.empty())
    return settings.direct_fallback ? "direct" : "no route (no proxy, direct disabled)";
  std::string out = "proxies ";
  for (size_t i = 0; i < settings.proxies.size(); ++i)
    out += (i ? ", " : "") + settings.proxies[i].to_string();
  if (!settings.credentials.username.empty()) {
    out += " (user " + settings.credentials.username
           + (settings.credentials.password.empty() ? ", no password" : ", password set");
    if (settings.credentials_to_any)
      out += ", to every proxy";
    else
      for (auto& p : settings.proxies)
        if (credentials_for(settings, p).empty())
          out += ", none to " + p.to_string();
    out += ")";
  }
  out += settings.direct_fallback ? "; then direct" : "; direct disabled (/t off)";
  return out;
}

} // namespace vigil
