#include "net/pac/fetch.hpp"

#include <cerrno>
#include <fstream>

#include "common/error.hpp"

namespace vigil {

namespace {

caf::expected<std::string> read_local(const std::string& path, size_t max_bytes) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    if (errno == ENOENT)
      return make_error(ec::not_found, "no PAC file " + path);
    return make_system_error(errno, "open PAC file " + path);
  }
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes)
      return make_error(ec::too_large, "the PAC file " + path + " is larger than "
                                         + std::to_string(max_bytes) + " bytes");
  }
  if (in.bad())
    return make_error(ec::io_error, "cannot read the PAC file " + path);
  return text;
}

} // namespace

caf::expected<std::string> fetch_pac(std::string_view location,
                                     const pac_fetch_options& options) {
  if (location.starts_with("file://")) {
    auto path = location.substr(7);
    if (!path.starts_with('/')) // file://host/path: only the local host is meant
      path = path.substr(std::min(path.find('/'), path.size()));
    return read_local(std::string{path}, options.max_bytes);
  }
  if (location.find("://") == std::string_view::npos)
    return read_local(std::string{location}, options.max_bytes);
  if (!location.starts_with("http://") && !location.starts_with("https://"))
    return make_error(ec::invalid_argument, "PAC location '" + std::string{location}
                                              + "' is not http://, https://, file:// or a path");
  auto where = parse_url(location);
  if (!where)
    return std::move(where.error());
  client_options client_settings;
  client_settings.trust = options.trust;
  client_settings.connect_timeout = options.timeout;
  client_settings.io_timeout = options.timeout;
  client_settings.max_response_bytes = options.max_bytes;
  auto client = https_client::make(client_settings);
  if (!client)
    return std::move(client.error());
  http_request request;
  request.target = where->target;
  request.fields.set("Accept", "application/x-ns-proxy-autoconfig, */*");
  auto response = client->send(*where, std::move(request));
  if (!response)
    return std::move(response.error());
  if (response->status != 200)
    return make_error(ec::protocol_error, "the PAC server " + where->to_string() + " answered "
                                            + std::to_string(response->status));
  // The client caps the body too, but Boost 1.74's parser does not always
  // apply its limit to a Content-Length body; the cap is this function's
  // promise either way.
  if (response->body.size() > options.max_bytes)
    return make_error(ec::too_large, "the PAC at " + where->to_string() + " is larger than "
                                       + std::to_string(options.max_bytes) + " bytes");
  return std::move(response->body);
}

} // namespace vigil
