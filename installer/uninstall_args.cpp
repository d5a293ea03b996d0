#include "installer/uninstall_args.hpp"

#include "common/error.hpp"
#include "host/text_encoding.hpp"
#include "host/command_line.hpp"
#include "host/proxy_grammar.hpp"
#include "installer/setup_args.hpp"

namespace vigil {

namespace {

caf::error invalid(std::string reason) {
  return make_error(ec::invalid_argument, std::move(reason));
}

} // namespace

caf::expected<uninstall_request> parse_uninstall_args(const std::vector<std::string>& args) {
  uninstall_request request;
  for (const auto& arg : args)
    if (is_help_argument(arg))
      return request; // action help
  bool uninstall_given = false, force_given = false, uninstall = false;
  auto read = for_each_key_value(args, [&](const key_value_argument& kv) -> caf::expected<void> {
    auto take_bool = [&](std::string_view name, bool& seen, bool& into) -> caf::expected<void> {
      if (seen)
        return invalid(std::string{name} + " given twice");
      seen = true;
      if (kv.value.empty())
        return invalid(std::string{name} + ": empty value");
      auto flag = parse_bool_value(name, kv.value);
      if (!flag)
        return flag.error();
      into = *flag;
      return {};
    };
    if (iequals(kv.key, "Uninstall"))
      return take_bool("Uninstall", uninstall_given, uninstall);
    if (iequals(kv.key, "Force"))
      return take_bool("Force", force_given, request.force);
    if (iequals(kv.key, "SPFKEY")) {
      if (request.spf_key)
        return invalid("SPFKEY given twice");
      if (kv.value.empty())
        return invalid("SPFKEY: empty value");
      request.spf_key = kv.value;
      return {};
    }
    if (iequals(kv.key, "CustomerId") || iequals(kv.key, "ActivationId"))
      return invalid(std::string{iequals(kv.key, "CustomerId") ? "CustomerId" : "ActivationId"}
                     + " cannot be given to vigil-uninstall: an uninstall keeps the agent "
                       "identity (Force=True removes it)");
    if (!kv.after_secret.empty())
      return invalid("unknown argument after " + kv.after_secret
                     + " (not shown: it may be part of a key; quote values that contain spaces)");
    return invalid("unknown argument '" + printable(kv.key) + "' (keys: Uninstall, Force, SPFKEY)");
  });
  if (!read)
    return read.error();
  if (!uninstall)
    return invalid(uninstall_given ? "Uninstall=False: nothing to do (Uninstall=True uninstalls)"
                                   : "Uninstall=True is required (vigil-uninstall /? shows the usage)");
  request.action = uninstall_action::uninstall;
  return request;
}

caf::expected<uninstall_request> parse_uninstall_command_line(std::string_view line) {
  auto args = split_command_line(line);
  if (!args)
    return args.error();
  return parse_uninstall_args(*args);
}

std::string to_log_string(const uninstall_request& request) {
  if (request.action == uninstall_action::help)
    return "/?";
  std::string out = "Uninstall=True";
  if (request.force)
    out += " Force=True";
  if (request.spf_key)
    out += " SPFKEY=***";
  return out;
}

std::string uninstall_usage() {
  return "Usage: vigil-uninstall [--root DIR] Uninstall=True [Force=True] [SPFKEY=KEY]\n"
         "\n"
         "  Uninstall=True  stop and remove the service, program files and program data; the\n"
         "                  hive (HostID, CustomerId, ActivationId, every other key) is kept, so\n"
         "                  a reinstall keeps the same agent identity\n"
         "  Force=True      clean uninstall: also remove the hive (a reinstall gets a new HostID)\n"
         "  SPFKEY=KEY      the key that unlocks self-protection, required while it is enabled\n"
         "\n"
         "Keys and TRUE/FALSE are case-insensitive. CustomerId and ActivationId are refused.\n"
         "Exit codes: 0 success (also when nothing is installed), 1603 fatal error (rolled back),\n"
         "1618 another installation is in progress, 1639 invalid command line.\n";
}

} // namespace vigil
