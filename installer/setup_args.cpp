#include "installer/setup_args.hpp"

#include <array>

#include "common/error.hpp"
#include "common/signing.hpp"
#include "host/text_encoding.hpp"
#include "protocol/guid.hpp"

namespace vigil {

namespace {

caf::error invalid(std::string reason) {
  return make_error(ec::invalid_argument, std::move(reason));
}

enum class setup_key : size_t {
  customer_id,
  activation_id,
  web_service_uri,
  proxy,
  ca_bundle,
  trust_key,
  golden_image,
  patch_install,
  allow_downgrade,
  self_patch,
  extract,
  dir,
  extract_msi,
};

constexpr size_t setup_key_count = 13;

/// The guide's spellings, indexed by `setup_key`.
constexpr std::array<std::string_view, setup_key_count> key_names{
  "CustomerId",  "ActivationId", "WebServiceUri",  "Proxy",   "CaBundle", "TrustKey",
  "GoldenImage", "PatchInstall", "AllowDowngrade", "SelfPatch", "Extract", "Dir",
  "ExtractMSI",
};

std::string name_of(setup_key key) {
  return std::string{key_names[static_cast<size_t>(key)]};
}

std::optional<setup_key> find_key(std::string_view text) {
  for (size_t i = 0; i < key_names.size(); ++i)
    if (iequals(text, key_names[i]))
      return static_cast<setup_key>(i);
  return std::nullopt;
}

std::string key_list() {
  std::string out;
  for (auto name : key_names)
    out += (out.empty() ? "" : ", ") + std::string{name};
  return out;
}

bool has_control(std::string_view text) noexcept {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return true;
  return false;
}

caf::expected<void> check_guid(setup_key key, const std::string& value) {
  if (protocol::is_guid(value))
    return {};
  return invalid(name_of(key) + ": '" + printable(value)
                 + "' is not a GUID of the form {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}");
}

caf::expected<void> check_web_service_uri(const std::string& value) {
  auto shown = "'" + printable(value) + "'";
  if (!iequals(std::string_view{value}.substr(0, 8), "https://"))
    return invalid("WebServiceUri: " + shown + " is not an https URL (https://host[:port]/path)");
  auto parts = parse_url_parts(value);
  if (!parts)
    return invalid("WebServiceUri: " + shown + " is not a valid URL: " + context_of(parts.error()));
  if (parts->has_userinfo)
    return invalid("WebServiceUri: " + shown + " carries credentials, which are not supported");
  return {};
}

caf::expected<void> check_path(setup_key key, const std::string& value) {
  if (has_control(value))
    return invalid(name_of(key) + ": the path contains a control character");
  return {};
}

caf::expected<extract_format> parse_extract(const std::string& value) {
  if (iequals(value, "deb"))
    return extract_format::deb;
  if (iequals(value, "tar"))
    return extract_format::tar;
  if (iequals(value, "msi"))
    return extract_format::msi;
  if (iequals(value, "auto"))
    return extract_format::auto_detect;
  return invalid("Extract: '" + printable(value) + "' is not deb, tar, msi or AUTO");
}

/// The guide's `ExtractMSI=32|64|BOTH|AUTO`: Vigil builds one, 64-bit, agent.
caf::expected<extract_format> parse_extract_msi(const std::string& value) {
  if (value == "64" || iequals(value, "auto"))
    return extract_format::msi;
  if (value == "32" || iequals(value, "both"))
    return invalid("ExtractMSI: '" + printable(value)
                   + "': Vigil has no 32-bit agent; ExtractMSI=64 (or AUTO) writes the x64 MSI");
  return invalid("ExtractMSI: '" + printable(value) + "' is not 64, AUTO, 32 or BOTH");
}

/// Reads one known key's value into `request` (the action is decided later).
caf::expected<void> apply(setup_key key, const std::string& value, setup_request& request,
                          bool& patch_install) {
  auto set_bool = [&](bool& into) -> caf::expected<void> {
    auto flag = parse_bool_value(name_of(key), value);
    if (!flag)
      return flag.error();
    into = *flag;
    return {};
  };
  switch (key) {
    case setup_key::customer_id:
      request.customer_id = value;
      return check_guid(key, value);
    case setup_key::activation_id:
      request.activation_id = value;
      return check_guid(key, value);
    case setup_key::web_service_uri:
      request.web_service_uri = value;
      return check_web_service_uri(value);
    case setup_key::proxy: {
      auto proxy = parse_proxy_option(value);
      if (!proxy)
        return invalid("Proxy: " + context_of(proxy.error()));
      request.proxy = std::move(*proxy);
      return {};
    }
    case setup_key::ca_bundle:
      request.ca_bundle = value;
      return check_path(key, value);
    case setup_key::trust_key:
      request.trust_key = value;
      if (value.starts_with(public_key_prefix)) {
        if (!is_public_key_text(value))
          return invalid("TrustKey: '" + printable(value) + "' is not an Ed25519 public key");
        return {};
      }
      return check_path(key, value);
    case setup_key::golden_image: return set_bool(request.golden_image);
    case setup_key::patch_install: return set_bool(patch_install);
    case setup_key::allow_downgrade: return set_bool(request.allow_downgrade);
    case setup_key::self_patch: return set_bool(request.self_patch);
    case setup_key::extract: {
      auto format = parse_extract(value);
      if (!format)
        return format.error();
      request.extract = *format;
      return {};
    }
    case setup_key::extract_msi: {
      auto format = parse_extract_msi(value);
      if (!format)
        return format.error();
      request.extract = *format;
      request.extract_next_to_program = true;
      return {};
    }
    case setup_key::dir:
      request.extract_dir = value;
      return check_path(key, value);
  }
  return {};
}

/// What `follows_secret(previous)` is about: "Proxy=", "SPFKEY=" or "/p"; empty
/// when `previous` carries no secret.
std::string secret_holder(std::string_view previous) {
  if (!follows_secret(previous))
    return {};
  if (auto eq = previous.find('='); eq != std::string_view::npos) {
    auto key = fold_case(previous.substr(0, eq));
    if (key.find("proxy") != std::string::npos) // perhaps padded with blanks
      return "Proxy=";
    if (key.find("spfkey") != std::string::npos)
      return "SPFKEY=";
  }
  return "/p";
}

using given_keys = std::array<bool, setup_key_count>;

bool given(const given_keys& keys, setup_key key) {
  return keys[static_cast<size_t>(key)];
}

/// The rules between keys, in a fixed order so the same arguments always give
/// the same error.
caf::expected<void> decide_action(const given_keys& keys, bool patch_install,
                                  setup_request& request) {
  if (given(keys, setup_key::extract) && given(keys, setup_key::extract_msi))
    return invalid("give Extract= or ExtractMSI=, not both");
  for (auto extract_key : {setup_key::extract, setup_key::extract_msi}) {
    if (!given(keys, extract_key))
      continue;
    for (size_t i = 0; i < setup_key_count; ++i) {
      auto key = static_cast<setup_key>(i);
      if (keys[i] && key != extract_key && key != setup_key::dir)
        return invalid(name_of(extract_key) + "= writes the package out and installs nothing: "
                       + name_of(key) + " cannot go with it (only Dir= can)");
    }
    request.action = setup_action::extract;
    return {};
  }
  if (given(keys, setup_key::dir))
    return invalid("Dir= applies only with Extract=deb|tar|msi|AUTO or ExtractMSI=64");
  if (patch_install) {
    for (auto key : {setup_key::customer_id, setup_key::activation_id})
      if (given(keys, key))
        return invalid("PatchInstall=TRUE keeps the installed CustomerId and ActivationId: do not give "
                       + name_of(key));
    if (given(keys, setup_key::trust_key))
      return invalid("PatchInstall=TRUE keeps the pinned TrustKey: a new key is accepted only "
                     "when signed by the pinned one");
    for (auto key : {setup_key::web_service_uri, setup_key::proxy, setup_key::ca_bundle})
      if (given(keys, key))
        return invalid("PatchInstall=TRUE keeps the installed configuration: " + name_of(key)
                       + " cannot go with it (change it with vigil-reg or vigil-proxy)");
    if (given(keys, setup_key::golden_image))
      return invalid("GoldenImage applies to a fresh install, not to PatchInstall=TRUE");
    request.action = setup_action::patch;
    return {};
  }
  if (given(keys, setup_key::self_patch))
    return invalid("SelfPatch=TRUE goes with PatchInstall=TRUE only (the agent's own upgrades)");
  std::string missing;
  for (auto key : {setup_key::customer_id, setup_key::activation_id, setup_key::web_service_uri})
    if (!given(keys, key))
      missing += (missing.empty() ? "" : ", ") + name_of(key);
  if (!missing.empty())
    return invalid("a fresh install needs CustomerId, ActivationId and WebServiceUri; missing: "
                   + missing + " (PatchInstall=TRUE upgrades an existing install)");
  request.action = setup_action::install;
  return {};
}

} // namespace

const char* to_string(setup_action action) noexcept {
  switch (action) {
    case setup_action::install: return "install";
    case setup_action::patch: return "patch";
    case setup_action::extract: return "extract";
    case setup_action::help: return "help";
  }
  return "?";
}

const char* to_string(extract_format format) noexcept {
  switch (format) {
    case extract_format::deb: return "deb";
    case extract_format::tar: return "tar";
    case extract_format::msi: return "msi";
    case extract_format::auto_detect: return "AUTO";
  }
  return "?";
}

bool is_help_argument(std::string_view arg) noexcept {
  return arg == "/?" || arg == "-?" || iequals(arg, "--help") || iequals(arg, "-h");
}

caf::expected<void>
for_each_key_value(const std::vector<std::string>& args,
                   const std::function<caf::expected<void>(const key_value_argument&)>& handle) {
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    auto after_secret = i > 0 ? secret_holder(args[i - 1]) : std::string{};
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      if (!after_secret.empty())
        return invalid("the argument after " + after_secret
                       + " is not of the form Key=Value (not shown: it may be part of a "
                         "password or key; quote values that contain spaces)");
      if (eq == 0)
        return invalid("'" + printable(arg) + "' has no key before '='");
      if (!arg.empty() && (arg.front() == '/' || arg.front() == '-'))
        return invalid("unknown option '" + printable(arg) + "' (arguments are Key=Value; /? shows the usage)");
      return invalid("'" + printable(arg) + "' is not of the form Key=Value (quote values that contain spaces)");
    }
    key_value_argument kv{arg.substr(0, eq), arg.substr(eq + 1), after_secret};
    if (!kv.value.empty() && kv.value.front() == '"') {
      auto parts = split_command_line(kv.value);
      if (!parts)
        return invalid(printable(kv.key) + ": " + context_of(parts.error()));
      if (parts->size() > 1)
        return invalid(printable(kv.key) + ": the quoted value is followed by more text");
      kv.value = parts->empty() ? std::string{} : std::move(parts->front());
    }
    if (auto ok = handle(kv); !ok)
      return ok.error();
  }
  return {};
}

caf::expected<bool> parse_bool_value(std::string_view key, std::string_view value) {
  if (iequals(value, "true") || value == "1")
    return true;
  if (iequals(value, "false") || value == "0")
    return false;
  return invalid(std::string{key} + ": '" + printable(value) + "' is not TRUE or FALSE");
}

caf::expected<setup_request> parse_setup_args(const std::vector<std::string>& args) {
  setup_request request;
  for (const auto& arg : args)
    if (is_help_argument(arg))
      return request; // action help
  if (args.empty())
    return invalid("nothing to do: give CustomerId, ActivationId and WebServiceUri, "
                   "PatchInstall=TRUE or Extract= (vigil-setup /? shows the usage)");
  given_keys keys{};
  bool patch_install = false;
  auto read = for_each_key_value(args, [&](const key_value_argument& kv) -> caf::expected<void> {
    auto key = find_key(kv.key);
    if (!key) {
      if (!kv.after_secret.empty())
        return invalid("unknown argument after " + kv.after_secret
                       + " (not shown: it may be part of a password or key; quote values "
                         "that contain spaces)");
      return invalid("unknown argument '" + printable(kv.key) + "' (keys: " + key_list() + ")");
    }
    auto& seen = keys[static_cast<size_t>(*key)];
    if (seen)
      return invalid(name_of(*key) + " given twice");
    seen = true;
    if (kv.value.empty())
      return invalid(name_of(*key) + ": empty value");
    return apply(*key, kv.value, request, patch_install);
  });
  if (!read)
    return read.error();
  if (auto decided = decide_action(keys, patch_install, request); !decided)
    return decided.error();
  return request;
}

caf::expected<setup_request> parse_setup_command_line(std::string_view line) {
  auto args = split_command_line(line);
  if (!args)
    return args.error();
  return parse_setup_args(*args);
}

std::string to_log_string(const setup_request& request) {
  std::string out;
  auto add = [&out](std::string_view key, std::string_view value) {
    if (!out.empty())
      out += ' ';
    out += key;
    out += '=';
    out += quote_argument(value);
  };
  switch (request.action) {
    case setup_action::help: return "/?";
    case setup_action::extract:
      if (request.extract_next_to_program)
        add("ExtractMSI", "64");
      else
        add("Extract", to_string(request.extract));
      if (request.extract_dir)
        add("Dir", *request.extract_dir);
      return out;
    case setup_action::patch:
      add("PatchInstall", "TRUE");
      if (request.self_patch)
        add("SelfPatch", "TRUE");
      break;
    case setup_action::install:
      add("CustomerId", request.customer_id);
      add("ActivationId", request.activation_id);
      add("WebServiceUri", mask_userinfo(request.web_service_uri));
      if (request.proxy)
        add("Proxy", to_display_string(*request.proxy));
      if (request.ca_bundle)
        add("CaBundle", *request.ca_bundle);
      if (request.trust_key)
        add("TrustKey", *request.trust_key);
      if (request.golden_image)
        add("GoldenImage", "TRUE");
      break;
  }
  if (request.allow_downgrade)
    add("AllowDowngrade", "TRUE");
  return out;
}

std::string setup_usage() {
  return "Usage: vigil-setup [--root DIR] Key=Value ...\n"
         "\n"
         "Fresh install (files, hive values, service registered and started):\n"
         "  vigil-setup CustomerId={GUID} ActivationId={GUID} WebServiceUri=https://HOST[:PORT]/CloudAgent/\n"
         "              [Proxy=\"/u URL[;URL...] [/n USER /p PASSWORD]\" | Proxy=\"/a PAC-URL [/n USER /p PASSWORD]\"]\n"
         "              [CaBundle=FILE] [TrustKey=FILE|vigil-ed25519:KEY] [GoldenImage=TRUE]\n"
         "              [AllowDowngrade=TRUE]\n"
         "  GoldenImage=TRUE installs without starting; the first start creates the HostID.\n"
         "  TrustKey pins the platform's public signing key (its signing-key.pub): the agent\n"
         "  runs only manifests signed by it. Without it no manifest is accepted.\n"
         "  A password on the command line is visible to every local user (/proc) while setup\n"
         "  runs: /p - reads it from standard input instead (one line; not echoed at a terminal).\n"
         "\n"
         "In-place upgrade (keeps HostID, CustomerId, ActivationId and all state):\n"
         "  vigil-setup PatchInstall=TRUE [AllowDowngrade=TRUE] [SelfPatch=TRUE]\n"
         "  SelfPatch=TRUE (what the agent runs for its own upgrades) keeps the previous version\n"
         "  until the new one has started and checked in, and puts it back otherwise.\n"
         "\n"
         "Write the embedded package out and install nothing:\n"
         "  vigil-setup Extract=deb|tar|msi|AUTO [Dir=PATH]\n"
         "  vigil-setup.exe ExtractMSI=64 [Dir=PATH]   the MSI, next to vigil-setup.exe\n"
         "  deb is a Linux vigil-setup's package, msi vigil-setup.exe's; AUTO is the system's\n"
         "  own (msi on Windows; deb where dpkg is, else tar). Extract= writes into the\n"
         "  current directory.\n"
         "\n"
         "  vigil-setup /? | --help     this text\n"
         "\n"
         "Keys and TRUE/FALSE are case-insensitive. GUIDs are {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}.\n"
         "Quote a value that contains spaces; \\\" is a literal quote inside a quoted value.\n"
         "Exit codes: 0 success, 1603 fatal error (rolled back), 1618 another installation is\n"
         "in progress, 1638 this or a newer version is installed, 1639 invalid command line.\n";
}

} // namespace vigil
