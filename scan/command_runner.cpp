#include "scan/command_runner.hpp"

#include "common/error.hpp"

namespace vigil::scan {

caf::expected<command_result> run_command(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout,
                                          size_t output_cap) {
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
  return result;
}

} // namespace vigil::scan
