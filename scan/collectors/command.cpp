// The `command` collector: the output of a program run without a shell.
//
// spec: {"argv": ["/usr/bin/dpkg", "-l"], "name"?: row name,
//        "timeout_ms"?: <= collect_context::command_timeout (also the default),
//        "output_limit"?: bytes, <= collect_context::output_cap (also the default),
//        "privileged"?: bool (default false: run as the unprivileged user)}
//
//   command/<name, or argv joined by spaces>
//     {"argv", "exit_code"? | "signal"?, "output", "timed_out", "truncated"}
//     {"argv", "error"}   the program could not be started
//
// stdout and stderr are interleaved in "output" (at most output_limit bytes;
// the rest is read and discarded, "truncated": true); at the deadline the
// command's process group is killed ("timed_out": true, "signal": 9). Every
// command runs with an empty (C locale, fixed PATH) environment, under
// resource limits and no_new_privs, and as `nobody` unless the (signed)
// manifest says "privileged": true (issue 15, defect 1).

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"
#include "scan/command_runner.hpp"

namespace vigil::scan::detail {

caf::expected<void> collect_command(const collector_call& call) {
  auto it = call.spec.find("argv");
  if (it == call.spec.end() || !it->is_array() || it->empty())
    return make_error(ec::invalid_argument, "member 'argv' must be a non-empty array of strings");
  auto argv = spec_strings(call.spec, "argv", true);
  if (!argv)
    return argv.error();
  if (argv->front().empty())
    return make_error(ec::invalid_argument, "argv[0] is empty");
  auto name = spec_string(call.spec, "name");
  if (!name)
    return name.error();
  auto timeout = spec_count(call.spec, "timeout_ms", call.ctx.command_timeout.count(),
                            call.ctx.command_timeout.count());
  if (!timeout)
    return timeout.error();
  auto limit = spec_count(call.spec, "output_limit", call.ctx.output_cap, call.ctx.output_cap);
  if (!limit)
    return limit.error();
  auto privileged = spec_bool(call.spec, "privileged", false);
  if (!privileged)
    return privileged.error();
  std::string key = "command/";
  if (*name && !(*name)->empty()) {
    key += **name;
  } else {
    for (size_t i = 0; i < argv->size(); ++i)
      key += (i > 0 ? " " : "") + (*argv)[i];
  }
  nlohmann::json value{{"argv", *argv}};
  auto result = run_command(*argv, std::chrono::milliseconds{*timeout}, *limit, *privileged);
  if (!result) {
    value["error"] = render(result.error());
  } else {
    if (call.ctx.charge_cpu)
      call.ctx.charge_cpu(result->cpu);
    if (result->exit_code)
      value["exit_code"] = *result->exit_code;
    if (result->signal)
      value["signal"] = *result->signal;
    value["output"] = std::move(result->output);
    value["timed_out"] = result->timed_out;
    value["truncated"] = result->truncated;
  }
  call.add(std::move(key), value);
  return {};
}

} // namespace vigil::scan::detail
