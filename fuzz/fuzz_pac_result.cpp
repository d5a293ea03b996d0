// Fuzz target: PAC results. The input is a FindProxyForURL answer for
// parse_pac_result and a URL for pac_host_of (the PAC file is untrusted: it
// comes from the network or WPAD).
// Properties: no crash; a parsed answer has at least one route, proxy routes
// are http:// URLs and direct routes carry none, the text is kept; a host is
// non-empty and lower case.

#include <cctype>

#include "fuzz/fuzz_support.hpp"
#include "net/pac/result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil;
  auto text = fuzz::as_text(data, size);
  if (auto result = parse_pac_result(text)) {
    fuzz::check(!result->routes.empty(), "a parsed answer has a route");
    fuzz::check(result->text == text, "the answer is kept as returned");
    for (const auto& route : result->routes) {
      if (route.kind == pac_route::proxy)
        fuzz::check(route.proxy_url.starts_with("http://") && route.proxy_url.size() > 7,
                    "a proxy route is an http:// URL");
      else
        fuzz::check(route.proxy_url.empty(), "a direct route has no URL");
    }
  }
  if (auto host = pac_host_of(text)) {
    fuzz::check(!host->empty(), "a host is not empty");
    for (unsigned char c : *host)
      fuzz::check(std::tolower(c) == c, "a host is lower case");
  }
  return 0;
}
