#include "scan/command_runner.hpp"

#include "common/error.hpp"

namespace vigil::scan {

process_limits command_limits(std::chrono::milliseconds timeout) {
  process_limits limits;
  limits.address_space_bytes = uint64_t{1} << 30;
  limits.cpu_seconds = static_cast<uint64_t>((timeout.count() + 999) / 1000) + 1;
  limits.file_size_bytes = uint64_t{64} << 20;
  limits.open_files = 256;
  limits.processes = 256;
  return limits;
}

caf::expected<command_result> run_command(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout,
                                          size_t output_cap, bool privileged) {
  if (argv.empty() || argv.front().empty())
    return make_error(ec::invalid_argument, "command: empty argv");
  auto program = find_program(argv.front(), command_search_path);
  if (!program)
    return program.error();
  if (!program->is_absolute())
    return make_error(ec::invalid_argument,
                      "command: '" + argv.front() + "' is neither a bare name nor an absolute path");
  auto args = argv;
  args.front() = program->string();
  program_options options;
  options.timeout = timeout;
  options.environment = std::vector<std::string>{"PATH=" + std::string{command_search_path},
                                                 "LANG=C", "LC_ALL=C"};
  options.max_out_bytes = output_cap;
  options.merge_output = true;
  options.own_process_group = true;
  options.limits = command_limits(timeout);
  if (!privileged)
    options.user = unprivileged_user();
  auto run = run_program(args, options);
  if (!run)
    return run.error();
  command_result result;
  result.exit_code = run->exit_code;
  if (run->signal != 0)
    result.signal = run->signal;
  result.timed_out = run->timed_out;
  result.truncated = run->truncated;
  result.output = std::move(run->out);
  result.cpu = run->cpu;
  return result;
}

} // namespace vigil::scan
