#include "installer/enrollment.hpp"

#include <cctype>
#include <set>

#include "installer/install_conf.hpp"
#include "installer/setup_args.hpp"

namespace vigil {

namespace {

/// The key of `arg` ("CustomerId" of "CustomerId={...}"), folded to lower case.
std::string key_of(std::string_view arg) {
  auto key = std::string{arg.substr(0, arg.find('='))};
  for (auto& c : key)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!key.empty() && key.back() == ' ')
    key.pop_back();
  return key;
}

} // namespace

std::string enrollment_conf_text(const enrollment& e) {
  return "# The enrollment this installer carries (vigil-platform package): the\n"
         "# defaults of a fresh install; arguments given at install replace them.\n"
         "CustomerId=" + e.customer_id + "\nActivationId=" + e.activation_id
         + "\nWebServiceUri=" + e.web_service_uri + "\nTrustKey=" + e.trust_key + "\n";
}

std::vector<std::string> enrollment_args(std::string_view conf,
                                         const std::optional<std::filesystem::path>& ca_file) {
  auto args = install_conf_lines(conf);
  if (ca_file)
    args.push_back("CaBundle=" + ca_file->string());
  return args;
}

std::vector<std::string> merge_install_args(const std::vector<std::string>& defaults,
                                            const std::vector<std::string>& given) {
  std::set<std::string> keys;
  for (auto& arg : given) {
    if (is_help_argument(arg))
      return given;
    auto key = key_of(arg);
    if (key == "patchinstall" || key == "extract" || key == "extractmsi" || key == "dir" || key == "selfpatch")
      return given;
    keys.insert(key);
  }
  std::vector<std::string> out;
  for (auto& arg : defaults)
    if (!keys.contains(key_of(arg)))
      out.push_back(arg);
  out.insert(out.end(), given.begin(), given.end());
  return out;
}

} // namespace vigil
