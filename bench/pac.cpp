// PAC evaluation throughput: a realistic corporate PAC (about 50 rules:
// dnsDomainIs lists, isInNet subnets, shExpMatch patterns, site selection on
// myIpAddress, a failover PROXY list) evaluated for N URLs through Vigil's
// evaluator exactly as the agent uses it (out of process, vigil-pac under
// limits), one child per URL and in batches, beside the same PAC and URLs
// through pacparser (python3-pacparser, in process) in the same run. The
// answers of both are compared URL by URL.
// Usage: bench_pac [URLs] [single-run URLs] [batch size]   (not run by ctest)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "net/pac/evaluator.hpp"

namespace fs = std::filesystem;
using namespace vigil;

namespace {

constexpr const char* my_address = "10.20.5.17";

std::string corporate_pac() {
  std::string pac = "function FindProxyForURL(url, host) {\n"
                    "  host = host.toLowerCase();\n"
                    "  if (isPlainHostName(host) || host == 'localhost') return 'DIRECT';\n";
  // Internal domains: direct.
  for (auto domain : {".corp.example", ".intranet.example", ".lab.example", ".hr.example",
                      ".finance.example", ".build.example", ".git.example", ".wiki.example",
                      ".mail.example", ".vpn.example", ".eu.corp.example", ".ap.corp.example",
                      ".us.corp.example", ".dev.example", ".test.example"})
    pac += "  if (dnsDomainIs(host, '" + std::string{domain} + "')) return 'DIRECT';\n";
  pac += "  if (localHostOrDomainIs(host, 'portal.corp.example')) return 'DIRECT';\n"
         "  if (dnsDomainLevels(host) > 6) return 'PROXY strict-proxy.corp.example:8080';\n";
  // Address literals: private ranges direct, a few special networks by proxy.
  pac += "  if (/^\\d+\\.\\d+\\.\\d+\\.\\d+$/.test(host)) {\n";
  for (auto [net, mask] : {std::pair{"10.0.0.0", "255.0.0.0"}, {"172.16.0.0", "255.240.0.0"},
                           {"192.168.0.0", "255.255.0.0"}, {"127.0.0.0", "255.0.0.0"},
                           {"169.254.0.0", "255.255.0.0"}})
    pac += "    if (isInNet(host, '" + std::string{net} + "', '" + mask + "')) return 'DIRECT';\n";
  for (auto [net, mask] : {std::pair{"100.64.0.0", "255.192.0.0"}, {"198.18.0.0", "255.254.0.0"},
                           {"203.0.113.0", "255.255.255.0"}, {"198.51.100.0", "255.255.255.0"},
                           {"192.0.2.0", "255.255.255.0"}})
    pac += "    if (isInNet(host, '" + std::string{net} + "', '" + mask
           + "')) return 'PROXY lab-proxy.corp.example:3128; DIRECT';\n";
  pac += "  }\n";
  // Services with their own proxies.
  for (auto pattern : {"*://*.windowsupdate.com/*", "*://*.update.microsoft.com/*",
                       "*://download.*.example.org/*", "*://*.cdn.example.net/*",
                       "*://*.s3.amazonaws.com/*", "*://*.blob.core.windows.net/*",
                       "*://*.qualys.com/*", "*://*.platform.example/*", "*://*/wpad.dat",
                       "*://*.zoom.us/*", "*://*.slack.com/*", "*://*.github.com/*",
                       "*://*.githubusercontent.com/*", "*://registry.npmjs.org/*",
                       "*://*.debian.org/*"})
    pac += "  if (shExpMatch(url, '" + std::string{pattern}
           + "')) return 'PROXY fast-proxy1.corp.example:8080; PROXY fast-proxy2.corp.example:8080; DIRECT';\n";
  pac += "  if (shExpMatch(host, '*.internal-*.example')) return 'DIRECT';\n"
         "  if (url.substring(0, 4) == 'ftp:') return 'PROXY ftp-proxy.corp.example:2121';\n";
  // Site selection on the machine's own address.
  pac += "  var me = myIpAddress();\n";
  for (auto [net, site] : {std::pair{"10.10.0.0", "tokyo"}, {"10.20.0.0", "osaka"},
                           {"10.30.0.0", "london"}, {"10.40.0.0", "newyork"},
                           {"10.50.0.0", "sydney"}})
    pac += "  if (isInNet(me, '" + std::string{net} + "', '255.255.0.0')) return 'PROXY " + site
           + "-1.corp.example:8080; PROXY " + site + "-2.corp.example:8080; DIRECT';\n";
  pac += "  return 'PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; "
         "PROXY proxy3.corp.example:8080; DIRECT';\n}\n";
  return pac;
}

std::vector<pac_query> make_urls(size_t count) {
  std::mt19937 random{42};
  std::vector<std::string> hosts{
    "wiki.corp.example",       "build7.build.example",    "intranet",
    "portal.corp.example",     "www.example.com",         "news.example.org",
    "eu1.platform.example",    "ctldl.windowsupdate.com", "bucket.s3.amazonaws.com",
    "10.1.2.3",                "172.20.1.9",              "192.168.10.10",
    "100.64.3.4",              "203.0.113.50",            "8.8.4.4",
    "a.b.c.d.e.f.g.example",   "app.internal-eu.example", "api.github.com",
    "deb.debian.org",          "shop.example.net",        "files.hr.example",
  };
  std::vector<std::string> schemes{"http", "https"};
  std::vector<pac_query> urls;
  for (size_t i = 0; i < count; ++i) {
    auto& host = hosts[random() % hosts.size()];
    auto scheme = (i % 17 == 0) ? std::string{"ftp"} : schemes[random() % 2];
    urls.push_back({scheme + "://" + host + "/path/" + std::to_string(random() % 1000)
                      + "/index.html?q=" + std::to_string(i),
                    host});
  }
  return urls;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The baseline: pacparser (its own JavaScript engine) in a Python loop,
// timing only the find_proxy calls.
constexpr const char* pacparser_script = R"py(
import sys, time, warnings
warnings.simplefilter('ignore')
import pacparser
pac, urls, out, ip = sys.argv[1:5]
pacparser.init()
pacparser.setmyip(ip)
pacparser.parse_pac_file(pac)
queries = [line.split('\t') for line in open(urls).read().splitlines()]
start = time.perf_counter()
answers = [pacparser.find_proxy(u, h) for u, h in queries]
elapsed = time.perf_counter() - start
open(out, 'w').write('\n'.join(answers) + '\n')
print(elapsed)
pacparser.cleanup()
)py";

} // namespace

int main(int argc, char** argv) {
  size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 5000;
  size_t single_count = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 300;
  size_t batch_size = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 500;
  single_count = std::min(single_count, count);
  char dir_template[] = "/tmp/vigil-bench-pac-XXXXXX";
  fs::path dir = ::mkdtemp(dir_template);
  auto pac_text = corporate_pac();
  std::ofstream{dir / "corporate.pac"} << pac_text;
  auto urls = make_urls(count);
  {
    std::ofstream out{dir / "urls.tsv"};
    for (auto& q : urls)
      out << q.url << '\t' << q.host << '\n';
  }
  pac_request request;
  // build/bench/bench_pac -> build/bin/vigil-pac
  request.program = fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "bin"
                    / "vigil-pac";
  request.script_file = dir / "corporate.pac";
  request.overrides.my_addresses = {my_address};

  // Vigil, one child per URL: what one connection costs the agent.
  auto start = std::chrono::steady_clock::now();
  size_t failures = 0;
  for (size_t i = 0; i < single_count; ++i) {
    request.url = urls[i].url;
    request.host = urls[i].host;
    if (!evaluate_pac(request))
      ++failures;
  }
  double single_seconds = seconds_since(start);

  // Vigil, batches: the script compiled once per child.
  std::vector<std::string> vigil_answers;
  request.timeout = std::chrono::seconds{60};
  start = std::chrono::steady_clock::now();
  for (size_t first = 0; first < count; first += batch_size) {
    std::vector<pac_query> batch(urls.begin() + static_cast<std::ptrdiff_t>(first),
                                 urls.begin() + static_cast<std::ptrdiff_t>(std::min(count, first + batch_size)));
    auto results = evaluate_pac_batch(request, batch);
    if (!results) {
      std::fprintf(stderr, "batch failed: %s\n", render(results.error()).c_str());
      return 1;
    }
    for (auto& result : *results) {
      vigil_answers.push_back(result ? result->text : "error");
      failures += result ? 0 : 1;
    }
  }
  double batch_seconds = seconds_since(start);

  // pacparser, same PAC, same URLs, same local address.
  auto command = "/usr/bin/python3 " + (dir / "pacparser_baseline.py").string() + " "
                 + (dir / "corporate.pac").string() + " " + (dir / "urls.tsv").string() + " "
                 + (dir / "pacparser.out").string() + " " + my_address;
  std::ofstream{dir / "pacparser_baseline.py"} << pacparser_script;
  double pacparser_seconds = -1;
  if (auto* pipe = ::popen(command.c_str(), "r")) {
    if (std::fscanf(pipe, "%lf", &pacparser_seconds) != 1)
      pacparser_seconds = -1;
    ::pclose(pipe);
  }
  size_t agree = 0;
  {
    std::ifstream in{dir / "pacparser.out"};
    std::string line;
    for (size_t i = 0; i < count && std::getline(in, line); ++i)
      agree += line == vigil_answers[i] ? 1 : 0;
  }

  std::printf("| engine | how | URLs | wall s | evaluations/s | ms per evaluation |\n"
              "|---|---|---|---|---|---|\n");
  auto row = [](const char* engine, const std::string& how, size_t n, double s) {
    std::printf("| %s | %s | %zu | %.3f | %.0f | %.3f |\n", engine, how.c_str(), n, s, n / s,
                1000.0 * s / static_cast<double>(n));
  };
  row("vigil-pac (Duktape)", "out of process, one child per URL", single_count, single_seconds);
  row("vigil-pac (Duktape)",
      "out of process, batches of " + std::to_string(batch_size) + " URLs (amortised)", count,
      batch_seconds);
  if (pacparser_seconds > 0)
    row("pacparser (python3-pacparser)", "in process, find_proxy loop (no isolation)", count,
        pacparser_seconds);
  else
    std::printf("| pacparser | not available (apt: python3-pacparser) | - | - | - | - |\n");
  std::printf("\n%zu-line PAC; answers identical to pacparser's for %zu of %zu URLs; "
              "%zu Vigil evaluation errors\n",
              static_cast<size_t>(std::count(pac_text.begin(), pac_text.end(), '\n')), agree,
              count, failures);
  fs::remove_all(dir);
  return 0;
}
