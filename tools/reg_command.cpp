#include "tools/reg_command.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <ostream>

#include "common/error.hpp"
#include "common/text.hpp"
#include "host/atomic_file.hpp"
#include "host/reg_format.hpp"
#include "host/text_encoding.hpp"

namespace vigil {

namespace {

constexpr std::string_view success_message = "The operation completed successfully.";
constexpr std::string_view not_found_message =
  "ERROR: The system was unable to find the specified registry key or value.";

/// reg.exe options are `/` or `-` and one or two letters (or `?`); anything
/// longer, such as `/tmp/x.reg`, is a positional argument.
bool is_option(std::string_view arg) {
  if (arg.size() < 2 || arg.size() > 3 || (arg.front() != '/' && arg.front() != '-'))
    return false;
  for (char c : arg.substr(1))
    if (!std::isalpha(static_cast<unsigned char>(c)) && c != '?')
      return false;
  return true;
}

std::string option_name(std::string_view arg) {
  return fold_case(arg.substr(1));
}

caf::error syntax(const std::string& reason) {
  return make_error(ec::invalid_argument, reason);
}

caf::expected<uint64_t> parse_number(std::string_view text, uint64_t max, std::string_view type) {
  std::string_view digits = text;
  int base = 10;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    digits.remove_prefix(2);
    base = 16;
  }
  uint64_t number = 0;
  auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), number, base);
  if (digits.empty() || ptr != digits.data() + digits.size()
      || (err != std::errc{} && err != std::errc::result_out_of_range))
    return syntax("'" + std::string{text} + "' is not a number for " + std::string{type});
  if (err == std::errc::result_out_of_range || number > max)
    return syntax("'" + std::string{text} + "' does not fit in " + std::string{type}
                  + (max == UINT32_MAX ? " (32 bits)" : " (64 bits)"));
  return number;
}

} // namespace

caf::expected<reg_value> make_reg_value(std::string name, reg_type type, std::string_view data,
                                        std::string_view separator) {
  switch (type) {
    case reg_type::sz: return reg_value::sz(std::move(name), std::string{data});
    case reg_type::expand_sz: return reg_value::expand_sz(std::move(name), std::string{data});
    case reg_type::dword: {
      // reg.exe refuses a REG_DWORD without data (and stores 0 for a REG_QWORD).
      if (data.empty())
        return syntax("REG_DWORD needs a number: give /d DATA");
      auto n = parse_number(data, UINT32_MAX, "REG_DWORD");
      if (!n)
        return n.error();
      return reg_value::dword(std::move(name), static_cast<uint32_t>(*n));
    }
    case reg_type::qword: {
      if (data.empty())
        return reg_value::qword(std::move(name), 0);
      auto n = parse_number(data, UINT64_MAX, "REG_QWORD");
      if (!n)
        return n.error();
      return reg_value::qword(std::move(name), *n);
    }
    case reg_type::binary: {
      std::string digits{data};
      if (digits.size() % 2 != 0)
        digits.insert(digits.begin(), '0');
      std::vector<uint8_t> bytes;
      for (size_t i = 0; i < digits.size(); i += 2) {
        unsigned byte = 0;
        auto [ptr, err] = std::from_chars(digits.data() + i, digits.data() + i + 2, byte, 16);
        if (err != std::errc{} || ptr != digits.data() + i + 2)
          return syntax("'" + std::string{data} + "' is not hexadecimal data for REG_BINARY");
        bytes.push_back(static_cast<uint8_t>(byte));
      }
      return reg_value::binary(std::move(name), std::move(bytes));
    }
    case reg_type::multi_sz: {
      std::vector<std::string> items;
      if (separator.empty())
        return syntax("the REG_MULTI_SZ separator is empty");
      size_t start = 0;
      while (!data.empty() && start <= data.size()) {
        auto end = data.find(separator, start);
        auto item = data.substr(start, end == data.npos ? data.npos : end - start);
        if (item.empty() && end != data.npos)
          return syntax("REG_MULTI_SZ data has an empty string between separators");
        if (!item.empty())
          items.emplace_back(item);
        if (end == data.npos)
          break;
        start = end + separator.size();
      }
      return reg_value::multi_sz(std::move(name), std::move(items));
    }
    default: break;
  }
  return syntax(to_string(type) + " cannot be given with /t");
}

caf::expected<reg_command> parse_reg_command(const std::vector<std::string>& args) {
  reg_command cmd;
  if (args.empty())
    return syntax("no operation given (ADD, QUERY, DELETE, IMPORT or EXPORT)");
  auto verb = fold_case(args[0]);
  if (verb == "/?" || verb == "-?" || verb == "--help" || verb == "-h") {
    cmd.what = reg_command::verb::help;
    return cmd;
  }
  if (verb == "add")
    cmd.what = reg_command::verb::add;
  else if (verb == "query")
    cmd.what = reg_command::verb::query;
  else if (verb == "delete")
    cmd.what = reg_command::verb::delete_;
  else if (verb == "import")
    cmd.what = reg_command::verb::import;
  else if (verb == "export")
    cmd.what = reg_command::verb::export_;
  else
    return syntax("unknown operation '" + args[0] + "'");
  std::vector<std::string> positional;
  std::vector<std::string> seen; // options given so far: reg.exe refuses repeats
  bool type_given = false, data_given = false, separator_given = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (!is_option(arg) && arg != "--help") {
      positional.push_back(arg);
      continue;
    }
    auto opt = option_name(arg);
    if (std::find(seen.begin(), seen.end(), opt) != seen.end())
      return syntax("option " + arg + " is given twice");
    seen.push_back(opt);
    auto take = [&](std::string& into) -> caf::expected<void> {
      if (i + 1 >= args.size())
        return syntax("option " + arg + " needs a value");
      into = args[++i];
      return {};
    };
    if (opt == "?" || opt == "-help") {
      cmd.help_topic = fold_case(args[0]);
      for (auto& c : cmd.help_topic)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      cmd.what = reg_command::verb::help;
      return cmd;
    }
    caf::expected<void> ok{};
    if (opt == "v") {
      if (cmd.value_name)
        return syntax("/v or /ve given twice");
      std::string name;
      ok = take(name);
      cmd.value_name = name;
    } else if (opt == "ve") {
      if (cmd.value_name)
        return syntax("/v or /ve given twice");
      cmd.value_name = std::string{};
    } else if (opt == "va" && cmd.what == reg_command::verb::delete_) {
      cmd.all_values = true;
    } else if (opt == "t" && cmd.what == reg_command::verb::add) {
      std::string name;
      ok = take(name);
      auto type = parse_reg_type(name);
      if (ok && !type)
        return syntax("unsupported type '" + name
                      + "' (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD, REG_BINARY)");
      if (type)
        cmd.type = *type;
      type_given = true;
    } else if (opt == "d" && cmd.what == reg_command::verb::add) {
      ok = take(cmd.data);
      data_given = true;
    } else if (opt == "s" && cmd.what == reg_command::verb::add) {
      ok = take(cmd.separator);
      if (ok && cmd.separator.size() != 1)
        return syntax("the /s separator must be exactly one character");
      separator_given = true;
    } else if (opt == "s" && cmd.what == reg_command::verb::query) {
      cmd.recursive = true;
    } else if (opt == "f"
               && (cmd.what == reg_command::verb::add || cmd.what == reg_command::verb::delete_)) {
      cmd.force = true;
    } else if (opt == "y" && cmd.what == reg_command::verb::export_) {
      cmd.force = true;
    } else {
      return syntax("option " + arg + " is not valid for " + args[0]);
    }
    if (!ok)
      return ok.error();
  }
  size_t wanted = cmd.what == reg_command::verb::export_ ? 2 : 1;
  if (positional.size() != wanted)
    return syntax(std::string{positional.size() < wanted ? "missing" : "too many"}
                  + " arguments for " + args[0]);
  if (cmd.what == reg_command::verb::import) {
    cmd.file = positional[0];
    return cmd;
  }
  auto key = normalize_key_path(positional[0]);
  if (!key)
    return key.error();
  cmd.key = *key;
  if (cmd.what == reg_command::verb::export_)
    cmd.file = positional[1];
  if (cmd.what == reg_command::verb::add) {
    if (is_root_key(cmd.key))
      return syntax("cannot add to the root key " + cmd.key + ": name a subkey, e.g. "
                    + cmd.key + "\\SOFTWARE\\Vigil");
    if ((type_given || data_given) && !cmd.value_name)
      return syntax("/t and /d need /v NAME or /ve");
    if (cmd.value_name && cmd.value_name->find_first_of("\r\n") != std::string::npos)
      return syntax("a value name cannot hold a line break");
    if (cmd.value_name && cmd.type == reg_type::dword && !data_given)
      return syntax("REG_DWORD needs /d DATA");
    if (cmd.type == reg_type::qword && data_given && cmd.data.empty())
      return syntax("'' is not a number for REG_QWORD (leave out /d to store 0)");
    if (separator_given && cmd.type != reg_type::multi_sz)
      return syntax("/s applies only to REG_MULTI_SZ");
    if (cmd.value_name) {
      // Validate the data now so a bad /d never reaches the hive.
      auto value = make_reg_value(*cmd.value_name, cmd.type, cmd.data, cmd.separator);
      if (!value)
        return value.error();
    }
  }
  if (cmd.all_values && cmd.value_name)
    return syntax("/va excludes /v and /ve");
  if (cmd.what == reg_command::verb::delete_ && !cmd.value_name && !cmd.all_values
      && is_root_key(cmd.key))
    return syntax("a root key cannot be deleted");
  return cmd;
}

namespace {

void print_value(std::ostream& out, const reg_value& value) {
  out << "    " << (value.name.empty() ? "(Default)" : value.name) << "    "
      << to_string(value.type) << "    " << value.display() << "\n";
}

/// Asks `question` unless forced; false when refused or no terminal.
bool confirmed(reg_console& console, bool force, const std::string& question,
               std::string_view refusal) {
  if (force)
    return true;
  auto answer = console.ask(question);
  if (!answer) {
    console.err << "ERROR: " << refusal << " Use /f to proceed without a prompt (no terminal to ask).\n";
    return false;
  }
  if (!*answer) {
    console.out << "The operation was cancelled by the user.\n";
    return false;
  }
  return true;
}

int fail(reg_console& console, const caf::error& error) {
  console.err << "ERROR: " << render(error) << "\n";
  return 1;
}

int run_add(const reg_command& cmd, hive_store& file, reg_console& console) {
  auto current = file.load();
  if (!current)
    return fail(console, current.error());
  if (cmd.value_name && !cmd.force && current->get(cmd.key, *cmd.value_name) != nullptr) {
    auto shown = cmd.value_name->empty() ? std::string{"(Default)"} : *cmd.value_name;
    if (!confirmed(console, false, "Value " + shown + " exists, overwrite(Yes/No)? ",
                   "Value " + shown + " exists."))
      return 1;
  }
  auto value = cmd.value_name ? make_reg_value(*cmd.value_name, cmd.type, cmd.data, cmd.separator)
                              : caf::expected<reg_value>{reg_value{}};
  if (!value)
    return fail(console, value.error());
  auto updated = file.update([&](hive& h) -> caf::expected<void> {
    if (cmd.value_name)
      h.set(cmd.key, *value);
    else
      h.ensure_key(cmd.key);
    return {};
  });
  if (!updated)
    return fail(console, updated.error());
  console.out << success_message << "\n";
  return 0;
}

int run_query(const reg_command& cmd, hive_store& file, reg_console& console) {
  auto h = file.load();
  if (!h)
    return fail(console, h.error());
  auto* key = h->find_key(cmd.key);
  if (key == nullptr) {
    console.err << not_found_message << "\n";
    return 1;
  }
  if (cmd.value_name) {
    size_t matches = 0;
    auto keys = cmd.recursive ? h->subtree(cmd.key) : std::vector<const reg_key*>{key};
    for (auto* k : keys) {
      if (auto* value = k->find(*cmd.value_name)) {
        console.out << "\n" << k->path << "\n";
        print_value(console.out, *value);
        ++matches;
      }
    }
    if (matches == 0) {
      console.err << not_found_message << "\n";
      return 1;
    }
    console.out << "\n";
    if (cmd.recursive)
      console.out << "End of search: " << matches << " match(es) found.\n";
    return 0;
  }
  if (cmd.recursive) {
    for (auto* k : h->subtree(cmd.key)) {
      console.out << "\n" << k->path << "\n";
      for (auto& value : k->values)
        print_value(console.out, value);
    }
    console.out << "\n";
    return 0;
  }
  console.out << "\n" << key->path << "\n";
  for (auto& value : key->values)
    print_value(console.out, value);
  console.out << "\n";
  for (auto& child : h->child_keys(cmd.key))
    console.out << child << "\n";
  return 0;
}

int run_delete(const reg_command& cmd, hive_store& file, reg_console& console) {
  auto current = file.load();
  if (!current)
    return fail(console, current.error());
  auto* key = current->find_key(cmd.key);
  if (key == nullptr || (cmd.value_name && key->find(*cmd.value_name) == nullptr)) {
    console.err << not_found_message << "\n";
    return 1;
  }
  std::string question;
  if (cmd.value_name)
    question = "Delete the registry value "
               + (cmd.value_name->empty() ? std::string{"(Default)"} : *cmd.value_name)
               + " (Yes/No)? ";
  else if (cmd.all_values)
    question = "Delete all values under the registry key " + key->path + " (Yes/No)? ";
  else
    question = "Permanently delete the registry key " + key->path + " (Yes/No)? ";
  if (!confirmed(console, cmd.force, question, "Deleting needs confirmation."))
    return 1;
  bool found = true;
  auto updated = file.update([&](hive& h) -> caf::expected<void> {
    if (cmd.value_name) {
      found = h.erase_value(cmd.key, *cmd.value_name);
    } else if (cmd.all_values) {
      auto* k = h.find_key(cmd.key);
      found = k != nullptr;
      if (found)
        for (auto& value : std::vector<reg_value>{k->values})
          h.erase_value(cmd.key, value.name);
    } else {
      found = h.remove_key(cmd.key);
    }
    return {};
  });
  if (!updated)
    return fail(console, updated.error());
  if (!found) { // removed by someone else between the prompt and the lock
    console.err << not_found_message << "\n";
    return 1;
  }
  console.out << success_message << "\n";
  return 0;
}

int run_import(const reg_command& cmd, hive_store& file, reg_console& console) {
  auto bytes = read_whole_file(cmd.file);
  if (!bytes)
    return fail(console, bytes.error());
  if (trim_blanks_and_line_breaks(*bytes).empty()) {
    console.err << "ERROR: " << cmd.file << " is empty: a .reg file starts with the header "
                << "'Windows Registry Editor Version 5.00'.\nNothing was imported.\n";
    return 1;
  }
  auto statements = parse_reg(*bytes, cmd.file);
  if (!statements) {
    // On purpose stricter than reg.exe, which skips a malformed line, imports
    // the rest and exits 0: a half-applied configuration is worse than none.
    console.err << "ERROR: " << context_of(statements.error())
                << "\nNothing was imported: vigil-reg refuses the whole file when a line is "
                   "malformed (reg.exe would skip the line and import the rest).\n";
    return 1;
  }
  for (auto& st : *statements)
    if (st.what == reg_statement::kind::ignored_value)
      console.err << "WARNING: " << cmd.file << ":" << st.line << ": value "
                  << (st.value.name.empty() ? std::string{"@"} : "\"" + st.value.name + "\"")
                  << " follows [-" << st.key << "] and is ignored, as regedit does.\n";
  auto updated = file.update([&](hive& h) -> caf::expected<void> {
    apply_statements(h, *statements);
    return {};
  });
  if (!updated)
    return fail(console, updated.error());
  console.out << success_message << "\n";
  return 0;
}

int run_export(const reg_command& cmd, hive_store& file, reg_console& console) {
  auto h = file.load();
  if (!h)
    return fail(console, h.error());
  auto keys = h->subtree(cmd.key);
  if (keys.empty()) {
    console.err << not_found_message << "\n";
    return 1;
  }
  std::error_code ignored;
  if (std::filesystem::exists(cmd.file, ignored)
      && !confirmed(console, cmd.force,
                    "File " + cmd.file + " already exists. Overwrite (Yes/No)? ",
                    "File " + cmd.file + " already exists; use /y to overwrite."))
    return 1;
  if (auto written = write_file_atomically(cmd.file, render_reg(keys)); !written)
    return fail(console, written.error());
  console.out << success_message << "\n";
  return 0;
}

} // namespace

int run_reg_command(const reg_command& cmd, hive_store& hive, reg_console& console) {
  switch (cmd.what) {
    case reg_command::verb::help: console.out << reg_usage(cmd.help_topic); return 0;
    case reg_command::verb::add: return run_add(cmd, hive, console);
    case reg_command::verb::query: return run_query(cmd, hive, console);
    case reg_command::verb::delete_: return run_delete(cmd, hive, console);
    case reg_command::verb::import: return run_import(cmd, hive, console);
    case reg_command::verb::export_: return run_export(cmd, hive, console);
  }
  return 1;
}

std::string reg_usage(std::string_view topic) {
  if (topic == "ADD")
    return "vigil-reg ADD KeyName [{/v ValueName | /ve}] [/t Type] [/s Separator] [/d Data] [/f]\n"
           "  Type: REG_SZ (default), REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD, REG_BINARY\n"
           "  /d    data; numbers in decimal or 0x hex, REG_BINARY as hex digits\n"
           "  /s    REG_MULTI_SZ separator (one character; default \\0)\n"
           "  /f    overwrite an existing value without a prompt\n";
  if (topic == "QUERY")
    return "vigil-reg QUERY KeyName [{/v ValueName | /ve}] [/s]\n"
           "  /s    query the key and all its subkeys\n";
  if (topic == "DELETE")
    return "vigil-reg DELETE KeyName [{/v ValueName | /ve | /va}] [/f]\n"
           "  /va   delete all values of the key; without /v, /ve or /va the key is deleted\n"
           "  /f    delete without a prompt\n";
  if (topic == "IMPORT")
    return "vigil-reg IMPORT FileName   (.reg file, UTF-8 or UTF-16LE with BOM)\n";
  if (topic == "EXPORT")
    return "vigil-reg EXPORT KeyName FileName [/y]\n  /y    overwrite FileName without a prompt\n";
  return "vigil-reg [--root DIR] Operation [Parameter List]\n"
         "  Operation: ADD | QUERY | DELETE | IMPORT | EXPORT\n"
         "  Edits Vigil's hive (<root>/etc/opt/vigil/registry.reg) with reg.exe's syntax.\n"
         "  Keys start with HKLM (HKEY_LOCAL_MACHINE), e.g. HKLM\\SOFTWARE\\Vigil\\VigilAgent.\n"
         "  Return code: 0 success, 1 failure. 'vigil-reg ADD /?' shows an operation's usage.\n";
}

} // namespace vigil
