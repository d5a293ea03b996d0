// vigil-pac: evaluates a PAC script for one or more URLs, in a process of its
// own under resource limits, and prints the answers. The agent runs it through
// pac_evaluator (net/pac_evaluator.hpp); it is the only program that links the
// JavaScript engine.
//
// It lives in net/ beside pac_evaluator rather than in tools/: it is not a
// user-facing tool but the agent's half of a private protocol
// (net/pac_protocol.hpp), and the two must change together.
//
//   vigil-pac [options] SCRIPT|- URL [HOST]
//       prints FindProxyForURL's answer; exit 0, or non-zero with a message
//   vigil-pac [options] --batch SCRIPT|- URL HOST [URL HOST]...
//       one line per URL: "ok <answer>" or "error <message>"
//   SCRIPT "-" reads the script from stdin. Options:
//     --hosts FILE         resolve names from FILE (hosts format), never DNS
//     --my-address ADDR    myIpAddress / myIpAddressEx answer ADDR (repeatable)
//     --now SECONDS        the helpers' clock, in seconds since the epoch
//     --cpu-seconds N      RLIMIT_CPU (default 5)

#include <charconv>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <new>
#include <optional>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <vector>

#include "common/error.hpp"
#include "net/pac/engine.hpp"
#include "net/pac/protocol.hpp"
#include "net/pac/result.hpp"

namespace {

using namespace vigil;
namespace proto = vigil::pac_protocol;

/// Larger scripts are refused before they reach the engine.
constexpr size_t max_script_bytes = 4u << 20;

struct arguments {
  std::optional<std::string> hosts_file;
  std::vector<std::string> my_addresses;
  std::optional<std::time_t> now;
  unsigned cpu_seconds = proto::default_cpu_seconds;
  bool batch = false;
  std::string script;
  std::vector<std::string> rest; ///< URL [HOST], or URL HOST pairs
};

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "vigil-pac: %s\n", message.c_str());
  return code;
}

template <class T>
bool parse_number(const std::string& text, T& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size();
}

std::optional<arguments> parse_arguments(int argc, char** argv, std::string& why) {
  arguments args;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc)
        return std::nullopt;
      return std::string{argv[++i]};
    };
    if (arg == "--batch") {
      args.batch = true;
    } else if (arg == "--hosts" || arg == "--my-address" || arg == "--now"
               || arg == "--cpu-seconds") {
      auto v = value();
      if (!v) {
        why = arg + " needs a value";
        return std::nullopt;
      }
      if (arg == "--hosts") {
        args.hosts_file = *v;
      } else if (arg == "--my-address") {
        args.my_addresses.push_back(*v);
      } else if (arg == "--now") {
        std::time_t now = 0;
        if (!parse_number(*v, now)) {
          why = "--now needs seconds since the epoch, not '" + *v + "'";
          return std::nullopt;
        }
        args.now = now;
      } else if (!parse_number(*v, args.cpu_seconds) || args.cpu_seconds == 0) {
        why = "--cpu-seconds needs a positive number, not '" + *v + "'";
        return std::nullopt;
      }
    } else if (arg.size() > 1 && arg.starts_with("--")) {
      why = "unknown option " + arg;
      return std::nullopt;
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.empty()) {
    why = "no script given";
    return std::nullopt;
  }
  args.script = positional.front();
  args.rest.assign(positional.begin() + 1, positional.end());
  bool shape_ok = args.batch ? args.rest.size() % 2 == 0
                             : args.rest.size() == 1 || args.rest.size() == 2;
  if (!shape_ok) {
    why = args.batch ? "--batch needs URL HOST pairs" : "needs a URL and optionally a host";
    return std::nullopt;
  }
  return args;
}

/// The limits every evaluation runs under (the CPU limit also ends a child
/// whose caller vanished without killing it). RLIMIT_AS is left alone in
/// sanitizer builds, whose shadow memory needs terabytes of address space.
void limit_resources(unsigned cpu_seconds) {
  // Die with the caller: an orphaned evaluation has no one to answer.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  rlimit cpu{cpu_seconds, cpu_seconds + 1}; // SIGXCPU, then SIGKILL
  ::setrlimit(RLIMIT_CPU, &cpu);
  rlimit no_core{0, 0}; // SIGXCPU would otherwise dump core
  ::setrlimit(RLIMIT_CORE, &no_core);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  rlimit memory{proto::address_space_limit_bytes, proto::address_space_limit_bytes};
  ::setrlimit(RLIMIT_AS, &memory);
#endif
}

std::optional<std::string> read_script(const std::string& source, std::string& why) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (source != "-") {
    file.open(source, std::ios::binary);
    if (!file) {
      why = "cannot read the PAC script " + source;
      return std::nullopt;
    }
    in = &file;
  }
  std::string text;
  char buffer[65536];
  while (in->read(buffer, sizeof(buffer)) || in->gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in->gcount()));
    if (text.size() > max_script_bytes) {
      why = "the PAC script is larger than " + std::to_string(max_script_bytes) + " bytes";
      return std::nullopt;
    }
  }
  return text;
}

std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  return text;
}

int run(int argc, char** argv) {
  std::string why;
  auto args = parse_arguments(argc, argv, why);
  if (!args)
    return fail(proto::usage, why + "\nusage: vigil-pac [--hosts FILE] [--my-address ADDR]... "
                                    "[--now SECONDS] [--cpu-seconds N] [--batch] SCRIPT|- URL "
                                    "[HOST] [URL HOST]...");
  limit_resources(args->cpu_seconds);
  auto script = read_script(args->script, why);
  if (!script)
    return fail(proto::unreadable, why);
  auto environment = system_pac_environment();
  if (args->hosts_file) {
    auto resolver = hosts_file_resolver(*args->hosts_file);
    if (!resolver)
      return fail(proto::usage, render(resolver.error()));
    environment.resolve = std::move(*resolver);
  }
  if (!args->my_addresses.empty())
    environment.my_addresses = [mine = args->my_addresses] { return mine; };
  if (args->now)
    environment.now = [now = *args->now] { return now; };
  auto name = args->script == "-" ? std::string{"PAC script"}
                                  : "PAC script " + args->script;
  auto engine = pac_engine::load(*script, std::move(environment), proto::heap_limit_bytes, name);
  if (!engine) {
    auto code = code_of(engine.error());
    return fail(code == ec::not_found   ? proto::no_function
                : code == ec::too_large ? proto::memory_limit
                                        : proto::script_error,
                context_of(engine.error()));
  }
  if (!args->batch) {
    auto host = args->rest.size() == 2 ? caf::expected<std::string>{args->rest[1]}
                                       : pac_host_of(args->rest[0]);
    if (!host)
      return fail(proto::usage, context_of(host.error()));
    auto answer = (*engine)->find_proxy(args->rest[0], *host);
    if (!answer)
      return fail(code_of(answer.error()) == ec::too_large ? proto::memory_limit
                                                           : proto::evaluation_error,
                  context_of(answer.error()));
    std::printf("%s\n", one_line(*answer).c_str());
    return proto::ok;
  }
  std::string out;
  for (size_t i = 0; i < args->rest.size(); i += 2) {
    auto answer = (*engine)->find_proxy(args->rest[i], args->rest[i + 1]);
    if (!answer && code_of(answer.error()) == ec::too_large)
      return fail(proto::memory_limit, context_of(answer.error())); // the heap is spent
    out += answer ? std::string{proto::ok_prefix} + one_line(*answer)
                  : std::string{proto::error_prefix} + one_line(context_of(answer.error()));
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return proto::ok;
}

} // namespace

int main(int argc, char** argv) {
  try {
    int code = run(argc, argv);
    std::fflush(stdout);
    return code;
  } catch (const std::bad_alloc&) {
    return fail(proto::memory_limit, "out of memory (the address space limit is "
                                       + std::to_string(proto::address_space_limit_bytes >> 20)
                                       + " MiB)");
  } catch (const std::exception& e) {
    return fail(70, e.what());
  }
}
