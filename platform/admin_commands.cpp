#include "platform/admin_commands.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

#include "common/error.hpp"
#include "net/local_command.hpp"
#include "platform/os_family.hpp"
#include "platform/platform_store.hpp"

using nlohmann::json;

namespace vigil::platform {

namespace {

std::string failure(const std::string& message) {
  return json{{"ok", false}, {"error", message}}.dump();
}

template <class T>
std::string answer(const caf::expected<T>& result) {
  if (!result)
    return failure(render(result.error()));
  return json{{"ok", true}, {"result", *result}}.dump(-1, ' ', false,
                                                      json::error_handler_t::replace);
}

} // namespace

std::string run_admin_command(platform_service& service, const std::string& request) {
  auto command = json::parse(request, nullptr, false);
  if (command.is_discarded() || !command.is_object() || !command.contains("command"))
    return failure("malformed admin command");
  try {
    auto name = command["command"].get<std::string>();
    if (name == "customer_create") {
      auto ids = service.create_customer(command.value("modules", std::vector<std::string>{}));
      if (!ids)
        return failure(render(ids.error()));
      return answer(caf::expected<json>{json{{"customer_id", ids->first},
                                             {"activation_id", ids->second}}});
    }
    if (name == "activation") {
      auto customer = service.customer_of(command.at("activation").get<std::string>());
      if (!customer)
        return failure(render(customer.error()));
      return answer(caf::expected<json>{json{{"customer_id", *customer}}});
    }
    if (name == "assets")
      return answer(service.assets());
    if (name == "profile_set")
      return answer(service.set_profile(command.at("activation").get<std::string>(),
                                        command.value("assignments", std::vector<std::string>{})));
    if (name == "manifest_set")
      return answer(service.set_manifest(
        command.at("module").get<std::string>(),
        command.value("os", std::string{default_os_family}), command.at("manifest")));
    if (name == "rows")
      return answer(service.rows(command.at("host").get<std::string>(),
                                 command.at("module").get<std::string>()));
    if (name == "order_add") {
      auto id = service.add_order(command.at("host").get<std::string>(), command.at("order"));
      if (!id)
        return failure(render(id.error()));
      return answer(caf::expected<json>{json{{"id", *id}}});
    }
    if (name == "spfkey")
      return answer(service.issue_spfkey(command.at("host").get<std::string>(),
                                         command.value("valid_s", default_spfkey_validity_s)));
    if (name == "release_add")
      return answer(service.add_release(
        command.at("file").get<std::string>(),
        command.value("valid_s", default_release_validity_s),
        patch_options{command.value("patch_level", 0), command.value("patch_from", size_t{3})}));
    if (name == "release_list")
      return answer(service.list_releases());
    return failure("unknown admin command '" + name + "'");
  } catch (const json::exception& e) {
    return failure(std::string{"malformed admin command: "} + e.what());
  }
}

admin_channel::admin_channel(std::filesystem::path data_dir, offline_options options)
  : dir_{std::move(data_dir)}, options_{std::move(options)} {
}

admin_channel::~admin_channel() = default;

caf::expected<std::string> admin_channel::run(const std::string& request) {
  if (!service_) {
    auto online = send_local_command(dir_ / "admin.sock", request);
    if (online || (code_of(online.error()) != ec::not_found
                   && code_of(online.error()) != ec::connection_refused))
      return online;
    if (!std::filesystem::exists(dir_ / "db") && !std::filesystem::exists(store_url_file(dir_)))
      return make_error(ec::not_found,
                        "no platform data in " + dir_.string() + " (run `serve` once first)");
    auto options = options_ ? options_() : caf::expected<service_options>{service_options{}};
    if (!options)
      return options.error();
    options->data_dir = dir_;
    auto storage = open_platform_storage(dir_);
    if (!storage)
      return make_error(code_of(storage.error()),
                        "cannot open the store: " + render(storage.error()));
    options->instance_locks = storage->instance_locks;
    auto service = std::make_unique<platform_service>(
      *storage->store, *options, [] { return static_cast<int64_t>(std::time(nullptr)); });
    if (auto ok = service->initialize(); !ok)
      return ok.error();
    store_ = std::move(storage->store);
    service_ = std::move(service);
  }
  return run_admin_command(*service_, request);
}

} // namespace vigil::platform
