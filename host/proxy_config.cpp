#include "host/proxy_config.hpp"

#include "common/text.hpp"

namespace vigil {

namespace {

constexpr std::string_view urls_name = "ProxyUrls";
constexpr std::string_view pac_name = "PacFilePath";
constexpr std::string_view user_name = "Username";
constexpr std::string_view password_name = "Password";
constexpr std::string_view direct_name = "DirectAttemptEnabled";
constexpr std::string_view system_name = "SystemProxyEnabled";
constexpr std::string_view wpad_name = "WPADEnabled";
constexpr std::string_view any_proxy_name = "CredentialsToAnyProxy";

std::optional<std::string> text_of(const reg_key& key, std::string_view name) {
  auto* v = key.find(name);
  if (!v)
    return std::nullopt;
  auto text = v->as_string();
  if (!text || text->empty())
    return std::nullopt;
  return text;
}

bool flag_of(const reg_key& key, std::string_view name, bool fallback) {
  auto* v = key.find(name);
  if (!v)
    return fallback;
  auto n = v->as_number();
  return n ? *n != 0 : fallback;
}

} // namespace

std::string proxy_key() {
  return std::string{agent_key} + "\\Proxy";
}

std::vector<std::string> split_proxy_list(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    auto end = list.find(';', start);
    auto item =
      trim_blanks(list.substr(start, end == std::string_view::npos ? list.npos : end - start));
    if (!item.empty())
      out.emplace_back(item);
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  return out;
}

proxy_config read_proxy_config(const hive& h) {
  proxy_config config;
  auto* key = h.find_key(proxy_key());
  if (!key)
    return config;
  if (auto urls = text_of(*key, urls_name))
    config.proxy_urls = split_proxy_list(*urls);
  config.pac_url = text_of(*key, pac_name);
  config.username = text_of(*key, user_name);
  config.sealed_password = text_of(*key, password_name);
  config.direct_fallback = flag_of(*key, direct_name, true);
  config.system_proxy = flag_of(*key, system_name, false);
  config.wpad = flag_of(*key, wpad_name, false);
  config.credentials_to_any = flag_of(*key, any_proxy_name, false);
  return config;
}

void write_proxy_config(hive& h, const proxy_config& config) {
  auto key = proxy_key();
  h.remove_key(key);
  if (config == proxy_config{})
    return;
  if (!config.proxy_urls.empty()) {
    std::string list;
    for (auto& u : config.proxy_urls)
      list += (list.empty() ? "" : ";") + u;
    h.set(key, reg_value::sz(std::string{urls_name}, list));
  }
  if (config.pac_url)
    h.set(key, reg_value::sz(std::string{pac_name}, *config.pac_url));
  if (config.username)
    h.set(key, reg_value::sz(std::string{user_name}, *config.username));
  if (config.sealed_password)
    h.set(key, reg_value::sz(std::string{password_name}, *config.sealed_password));
  h.set(key, reg_value::dword(std::string{direct_name}, config.direct_fallback ? 1 : 0));
  h.set(key, reg_value::dword(std::string{system_name}, config.system_proxy ? 1 : 0));
  h.set(key, reg_value::dword(std::string{wpad_name}, config.wpad ? 1 : 0));
  h.set(key, reg_value::dword(std::string{any_proxy_name}, config.credentials_to_any ? 1 : 0));
}

caf::expected<proxy_config> load_proxy_config(const hive_store& file) {
  auto h = file.load();
  if (!h)
    return h.error();
  return read_proxy_config(*h);
}

caf::expected<proxy_config>
update_proxy_config(hive_store& file,
                    const std::function<caf::expected<void>(proxy_config&)>& fn) {
  auto written = file.update([&](hive& h) -> caf::expected<void> {
    auto config = read_proxy_config(h);
    if (auto ok = fn(config); !ok)
      return ok.error();
    write_proxy_config(h, config);
    return {};
  });
  if (!written)
    return written.error();
  return read_proxy_config(*written);
}

} // namespace vigil
