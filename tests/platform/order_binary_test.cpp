// The real vigil-platform: `order add` and `spfkey` while serving and offline,
// their output, signed orders at check-in until acknowledged, DIR/orders.log,
// and an uninstall acknowledged done removing the host from `assets`.

#include <doctest/doctest.h>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.hpp"
#include "common/signed_document.hpp"
#include "common/spfkey.hpp"
#include "net/platform_client.hpp"
#include "protocol/guid.hpp"
#include "protocol/signed_order.hpp"
#include "tests/platform/platform_client_fixture.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using nlohmann::json;

namespace {

const std::string host_id = "{0E0E0E0E-1111-4222-8333-444444444444}";

using test::client_for;

void provision(platform_client& client, const test::platform_process& platform) {
  auto ids = platform.create_customer("Vulnerability");
  protocol::provision_request r;
  r.customer_id = ids.first;
  r.activation_id = ids.second;
  r.host_id = host_id;
  r.fingerprint = "fingerprint-orders";
  r.agent_version = "0.1.0";
  r.inventory.hostname = "orders-host";
  auto answer = client.provision(r);
  REQUIRE(answer);
  REQUIRE(answer->result == protocol::provision_result::provisioned);
  client.set_credentials(host_id, answer->agent_token);
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in{file};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

trusted_keys root_of(const test::platform_process& platform) {
  trusted_keys keys;
  REQUIRE(keys.add(read_file(platform.trust_key_file())));
  return keys;
}

test::process_result vigil_platform(const test::platform_process& platform,
                                    std::vector<std::string> args) {
  std::vector<std::string> argv{test::program("vigil-platform").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--data-dir", platform.data_dir().string()});
  return test::run(argv);
}

/// Runs `order add` and returns the id it printed (`OrderId=...`, one line).
std::string order_add(const test::platform_process& platform, const std::string& order) {
  auto r = vigil_platform(platform, {"order", "add", "--host", host_id, "--order", order});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.rfind("OrderId=", 0) == 0);
  REQUIRE(r.out.back() == '\n');
  auto id = r.out.substr(8, r.out.size() - 9);
  CHECK(protocol::is_guid(id));
  return id;
}

/// Runs `spfkey` and returns the key it printed (`SPFKEY=...`, one line).
std::string spfkey(const test::platform_process& platform, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"spfkey", "--host", host_id};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = vigil_platform(platform, args);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.rfind("SPFKEY=", 0) == 0);
  REQUIRE(r.out.find('\n') == r.out.size() - 1);
  return r.out.substr(7, r.out.size() - 8);
}

protocol::checkin_response checkin(platform_client& client,
                                   std::vector<protocol::order_ack> acks = {}) {
  protocol::checkin_request req;
  req.host_id = host_id;
  req.agent_version = "0.1.0";
  req.order_acks = std::move(acks);
  auto answer = client.checkin(req);
  REQUIRE_MESSAGE(answer, render(answer.error()));
  return *answer;
}

size_t count_lines(const std::string& text, const std::string& part) {
  size_t n = 0;
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);)
    n += line.find(part) != std::string::npos;
  return n;
}

json assets(const test::platform_process& platform) {
  auto r = vigil_platform(platform, {"assets", "--json"});
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

} // namespace

TEST_CASE("vigil-platform: order add and spfkey, serving and offline; orders until acknowledged") {
  test::temp_dir dir;
  test::platform_process platform{dir / "data"};
  auto client = client_for(platform);
  provision(client, platform);
  auto keys = root_of(platform);

  // While serving (through the admin socket).
  auto scan = order_add(platform, R"({"type":"scan","module":"Vulnerability"})");
  auto key = spfkey(platform);
  auto claims = check_spfkey(key, keys, host_id, std::time(nullptr));
  REQUIRE_MESSAGE(claims, render(claims.error()));
  CHECK(claims->expires_at >= std::time(nullptr) + 24 * 3600 - 60); // the default: 24 h
  CHECK(claims->expires_at <= std::time(nullptr) + 24 * 3600 + 60);
  auto short_key = spfkey(platform, {"--valid", "1h"});
  CHECK(check_spfkey(short_key, keys, host_id, std::time(nullptr))->expires_at
        <= std::time(nullptr) + 3600 + 60);
  CHECK(code_of(check_spfkey(key, keys, "{0D0D0D0D-1111-4222-8333-444444444444}",
                             std::time(nullptr)).error())
        == ec::wrong_host);

  // Every check-in carries the order, signed for this host, until acknowledged.
  for (int i = 0; i < 2; ++i) {
    auto answer = checkin(client);
    REQUIRE(answer.signed_orders.size() == 1);
    auto opened = protocol::open_signed_order(answer.signed_orders[0], keys, host_id);
    REQUIRE_MESSAGE(opened, render(opened.error()));
    CHECK(opened->id == scan);
  }
  CHECK(checkin(client, {{scan, "done", ""}}).signed_orders.empty());
  CHECK(checkin(client, {{scan, "done", ""}}).signed_orders.empty()); // acknowledged twice
  auto listed = assets(platform);
  REQUIRE(listed.size() == 1);
  REQUIRE(listed[0]["orders"].size() == 1);
  CHECK(listed[0]["orders"][0]["state"] == "done");

  // Offline: the same commands on the same data.
  CHECK(platform.terminate() == 0);
  auto offline_key = spfkey(platform);
  CHECK(check_spfkey(offline_key, keys, host_id, std::time(nullptr)));
  auto uninstall = order_add(platform, R"({"type":"uninstall"})");
  auto refused = vigil_platform(platform, {"order", "add", "--host", host_id, "--order",
                                           R"({"type":"reboot"})"});
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("unknown order type") != std::string::npos);
  auto unknown = vigil_platform(platform, {"spfkey", "--host",
                                           "{0D0D0D0D-1111-4222-8333-444444444444}"});
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.err.find("no host") != std::string::npos);
  CHECK(unknown.out.empty());
  platform.start();

  auto answer = checkin(client);
  REQUIRE(answer.signed_orders.size() == 1);
  CHECK(protocol::open_signed_order(answer.signed_orders[0], keys, host_id)->type
        == protocol::order_type::uninstall);
  checkin(client, {{uninstall, "done", ""}});
  CHECK(assets(platform).empty());

  // DIR/orders.log: one line per queueing, delivery and acknowledgement; the
  // keys never appear in it.
  auto log = read_file(platform.data_dir() / "orders.log");
  CAPTURE(log);
  CHECK(count_lines(log, "order=" + scan + " type=scan queued") == 1);
  CHECK(count_lines(log, "order=" + scan + " type=scan delivered") == 2);
  CHECK(count_lines(log, "order=" + scan + " type=scan done") == 1);
  CHECK(count_lines(log, "order=" + uninstall + " type=uninstall done") == 1);
  CHECK(count_lines(log, "host=" + host_id) == 7);
  for (auto& k : {key, short_key, offline_key})
    CHECK(log.find(k.substr(0, 24)) == std::string::npos);
}
