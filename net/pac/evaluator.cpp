#include "net/pac/evaluator.hpp"

#include <csignal>

#include "common/error.hpp"
#include "host/process.hpp"
#include "net/pac/protocol.hpp"

namespace vigil {

namespace {

/// Output allowed per URL: a real answer is a few hundred bytes.
constexpr size_t max_answer_bytes = 64u << 10;

/// The error of a child run that did not print its answers.
caf::error run_failure(const program_result& run, const pac_request& request) {
  auto said = run.err;
  while (!said.empty() && (said.back() == '\n' || said.back() == '\r'))
    said.pop_back();
  if (said.starts_with("vigil-pac: "))
    said.erase(0, 11);
  auto script = request.script_file.empty() ? std::string{"the PAC script"}
                                            : "the PAC script " + request.script_file.string();
  if (run.timed_out)
    return make_error(ec::timeout, "evaluating " + script + " did not finish within "
                                     + std::to_string(request.timeout.count())
                                     + " ms: vigil-pac was killed");
  if (run.overflowed)
    return make_error(ec::too_large, "evaluating " + script + " printed more than "
                                       + std::to_string(max_answer_bytes) + " bytes per URL");
  if (run.signal == SIGXCPU)
    return make_error(ec::timeout, "evaluating " + script + " used up its CPU time limit");
  if (run.signal != 0)
    return make_error(ec::unspecified, "vigil-pac died of signal " + std::to_string(run.signal)
                                         + " evaluating " + script
                                         + (said.empty() ? "" : ": " + said));
  switch (run.exit_code.value_or(-1)) {
    case pac_protocol::unreadable:
      return make_error(ec::not_found, said);
    case pac_protocol::script_error:
    case pac_protocol::no_function:
    case pac_protocol::evaluation_error:
      return make_error(ec::parse_error, said);
    case pac_protocol::memory_limit:
      return make_error(ec::too_large, said);
    case pac_protocol::usage:
      return make_error(ec::invalid_argument, "vigil-pac rejected its arguments: " + said);
    default:
      return make_error(ec::unspecified, "vigil-pac exited with "
                                           + std::to_string(run.exit_code.value_or(-1))
                                           + (said.empty() ? "" : ": " + said));
  }
}

std::vector<std::string> base_arguments(const pac_request& request) {
  std::vector<std::string> argv{request.program.string()};
  if (request.overrides.hosts_file) {
    argv.push_back("--hosts");
    argv.push_back(request.overrides.hosts_file->string());
  }
  for (auto& address : request.overrides.my_addresses) {
    argv.push_back("--my-address");
    argv.push_back(address);
  }
  if (request.overrides.now) {
    argv.push_back("--now");
    argv.push_back(std::to_string(*request.overrides.now));
  }
  // The CPU limit backs up the wall deadline: it still ends a looping child
  // if the agent itself dies before it can kill it.
  auto seconds = (request.timeout.count() + 999) / 1000 + 1;
  argv.push_back("--cpu-seconds");
  argv.push_back(std::to_string(seconds));
  argv.push_back("--batch");
  argv.push_back(request.script_file.empty() ? std::string{"-"} : request.script_file.string());
  return argv;
}

} // namespace

caf::expected<std::vector<caf::expected<pac_result>>>
evaluate_pac_batch(const pac_request& request, const std::vector<pac_query>& queries) {
  if (request.program.empty())
    return make_error(ec::invalid_argument, "no vigil-pac program given");
  if (request.script_file.empty() && request.script_text.empty())
    return make_error(ec::invalid_argument, "no PAC script given");
  std::vector<caf::expected<pac_result>> results(queries.size(), pac_result{});
  std::vector<size_t> asked; // indexes of the queries sent to the child
  auto argv = base_arguments(request);
  for (size_t i = 0; i < queries.size(); ++i) {
    auto host = queries[i].host;
    if (host.empty()) {
      auto derived = pac_host_of(queries[i].url);
      if (!derived) {
        results[i] = std::move(derived.error());
        continue;
      }
      host = std::move(*derived);
    }
    argv.push_back(queries[i].url);
    argv.push_back(std::move(host));
    asked.push_back(i);
  }
  if (asked.empty())
    return results;
  program_options options;
  options.timeout = request.timeout;
  options.max_out_bytes = max_answer_bytes * asked.size();
  options.kill_on_overflow = true;
  if (request.script_file.empty())
    options.input = request.script_text;
  auto run = run_program(argv, options);
  if (!run)
    return std::move(run.error());
  if (run->timed_out || run->overflowed || run->signal != 0 || run->exit_code != 0)
    return run_failure(*run, request);
  size_t line_start = 0;
  for (auto index : asked) {
    auto line_end = run->out.find('\n', line_start);
    if (line_end == std::string::npos)
      return make_error(ec::protocol_error, "vigil-pac printed " + std::to_string(index)
                                              + " answers for " + std::to_string(asked.size())
                                              + " URLs");
    std::string_view line{run->out.data() + line_start, line_end - line_start};
    line_start = line_end + 1;
    if (line.starts_with(pac_protocol::ok_prefix)) {
      results[index] = parse_pac_result(line.substr(pac_protocol::ok_prefix.size()));
    } else if (line.starts_with(pac_protocol::error_prefix)) {
      results[index] = make_error(ec::parse_error,
                                  std::string{line.substr(pac_protocol::error_prefix.size())});
    } else {
      return make_error(ec::protocol_error,
                        "vigil-pac printed an unexpected line: " + std::string{line});
    }
  }
  return results;
}

caf::expected<pac_result> evaluate_pac(const pac_request& request) {
  auto results = evaluate_pac_batch(request, {pac_query{request.url, request.host}});
  if (!results)
    return std::move(results.error());
  return std::move(results->front());
}

std::filesystem::path default_pac_program() {
  std::error_code ignored;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ignored);
  return self.parent_path() / "vigil-pac";
}

} // namespace vigil
