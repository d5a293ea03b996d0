#include "tools/fleet/platform_rows.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "net/local_command.hpp"
#include "platform/admin_commands.hpp"
#include "platform/platform_store.hpp"
#include "platform/service.hpp"

namespace vigil::fleet {

namespace {

using nlohmann::json;

/// The `rows` admin command and the reading of its answer: the same request
/// `vigil-platform rows` sends, whichever way it travels.
std::string rows_command(const std::string& host, const std::string& module) {
  return json{{"command", "rows"}, {"host", host}, {"module", module}}.dump();
}

caf::expected<held_rows> read_answer(const std::string& answer) {
  auto parsed = json::parse(answer, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object())
    return make_error(ec::protocol_error, "the platform's rows answer is not JSON");
  if (!parsed.value("ok", false))
    return make_error(ec::protocol_error, "the platform refused rows: " + parsed.value("error", ""));
  held_rows out;
  auto& result = parsed["result"];
  if (!result.is_object())
    return make_error(ec::protocol_error, "the platform's rows answer has no result object");
  for (auto& [key, value] : result.items())
    out.emplace(key, value.is_string() ? value.get<std::string>() : value.dump());
  return out;
}

class socket_rows final : public platform_rows {
public:
  explicit socket_rows(std::filesystem::path socket) : socket_{std::move(socket)} {
  }
  caf::expected<held_rows> rows(const std::string& host, const std::string& module) override {
    auto answer = send_local_command(socket_, rows_command(host, module));
    if (!answer)
      return answer.error();
    return read_answer(*answer);
  }
  std::string source() const override {
    return "the running platform's admin socket";
  }

private:
  std::filesystem::path socket_;
};

class store_rows final : public platform_rows {
public:
  store_rows(std::unique_ptr<kv_store> store, const std::filesystem::path& dir)
    : store_{std::move(store)},
      service_{*store_, options_of(dir), [] { return static_cast<int64_t>(std::time(nullptr)); }} {
  }
  caf::expected<void> initialize() {
    return service_.initialize();
  }
  caf::expected<held_rows> rows(const std::string& host, const std::string& module) override {
    return read_answer(platform::run_admin_command(service_, rows_command(host, module)));
  }
  std::string source() const override {
    return "the stopped platform's store";
  }

private:
  static platform::service_options options_of(const std::filesystem::path& dir) {
    platform::service_options options;
    options.data_dir = dir;
    return options;
  }
  std::unique_ptr<kv_store> store_;
  platform::platform_service service_;
};

} // namespace

caf::expected<std::unique_ptr<platform_rows>>
platform_rows::open(const std::filesystem::path& data_dir) {
  auto socket = data_dir / "admin.sock";
  auto probe = send_local_command(socket, rows_command("{00000000-0000-4000-8000-000000000000}",
                                                      "Inventory"));
  if (probe) {
    if (auto ok = read_answer(*probe); !ok)
      return ok.error();
    return std::unique_ptr<platform_rows>{new socket_rows{socket}};
  }
  if (code_of(probe.error()) != ec::not_found && code_of(probe.error()) != ec::connection_refused)
    return probe.error();
  if (!std::filesystem::exists(data_dir / "db"))
    return make_error(ec::not_found, "no platform data in " + data_dir.string());
  auto store = platform::open_platform_store(data_dir.string());
  if (!store)
    return store.error();
  auto reader = std::make_unique<store_rows>(std::move(*store), data_dir);
  if (auto ok = reader->initialize(); !ok)
    return ok.error();
  return std::unique_ptr<platform_rows>{std::move(reader)};
}

} // namespace vigil::fleet
