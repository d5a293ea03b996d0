#include "tools/fleet/platform_rows.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "platform/admin_commands.hpp"

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

/// Rows through the platform's admin channel: its socket while it runs,
/// else its store (`--verify-only` after a kill or a stop).
class channel_rows final : public platform_rows {
public:
  explicit channel_rows(const std::filesystem::path& data_dir) : channel_{data_dir, {}} {
  }
  caf::expected<held_rows> rows(const std::string& host, const std::string& module) override {
    auto answer = channel_.run(rows_command(host, module));
    if (!answer)
      return answer.error();
    return read_answer(*answer);
  }
  std::string source() const override {
    return channel_.offline() ? "the stopped platform's store" : "the running platform's admin socket";
  }

private:
  platform::admin_channel channel_;
};

} // namespace

caf::expected<std::unique_ptr<platform_rows>>
platform_rows::open(const std::filesystem::path& data_dir) {
  auto reader = std::make_unique<channel_rows>(data_dir);
  // A first command chooses the way (and says early when there is none).
  if (auto probe = reader->rows("{00000000-0000-4000-8000-000000000000}", "Inventory"); !probe)
    return probe.error();
  return std::unique_ptr<platform_rows>{std::move(reader)};
}

} // namespace vigil::fleet
