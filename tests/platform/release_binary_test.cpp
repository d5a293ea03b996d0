// The real vigil-platform with the real vigil-setup: `release add` while
// serving and offline, and a ranged download over HTTPS that the request log
// shows.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/release_metadata.hpp"
#include "common/sha256.hpp"
#include "common/signed_document.hpp"
#include "net/platform_client.hpp"
#include "protocol/endpoints.hpp"
#include "tests/support/platform.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using nlohmann::json;

namespace {

const std::string host_id = "{0F0F0F0F-5555-4222-8333-444444444444}";

test::process_result platform_command(const test::platform_process& platform,
                                      std::vector<std::string> args) {
  std::vector<std::string> argv{test::program("vigil-platform").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--data-dir", platform.data_dir().string()});
  return test::run(argv);
}

} // namespace

TEST_CASE("vigil-platform: release add of the real vigil-setup, and a ranged download") {
  test::temp_dir dir;
  test::platform_process platform{dir / "data"};
  auto setup = test::program("vigil-setup");
  REQUIRE_MESSAGE(std::filesystem::exists(setup), setup.string());
  auto added = platform_command(platform, {"release", "add", setup.string(), "--valid", "2d"});
  CAPTURE(added.err);
  REQUIRE(added.exit_code == 0);
  CHECK(added.out.find("Version=0.1.0\n") == 0);
  CHECK(added.out.find("Serial=1\n") != std::string::npos);
  // A file that is not a vigil-setup: exit 1, saying why.
  test::write_file(dir / "not-setup", "plain bytes");
  auto refused = platform_command(platform, {"release", "add", (dir / "not-setup").string()});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("not a vigil-setup file") != std::string::npos);
  CHECK(platform_command(platform, {"release", "add", setup.string(), "--valid", "soon"})
          .exit_code
        == 2);

  // Provision a host, then fetch the package's second half, as a download
  // resumed at that offset does.
  client_options options;
  options.trust.ca_bundle = platform.ca_file();
  options.io_timeout = std::chrono::seconds{30};
  platform_client client{*https_client::make(options), *parse_url(platform.web_service_uri())};
  auto ids = platform.create_customer("Vulnerability");
  protocol::provision_request p;
  p.customer_id = ids.first;
  p.activation_id = ids.second;
  p.host_id = host_id;
  p.fingerprint = "fingerprint-r";
  p.agent_version = "0.1.0";
  p.inventory.hostname = "release-host";
  auto provisioned = client.provision(p);
  REQUIRE(provisioned);
  auto raw = *https_client::make(options);
  auto server = *parse_url(platform.web_service_uri());
  auto bytes = test::read_file(setup);
  auto from = bytes.size() / 2;
  http_request get;
  get.target = protocol::endpoint_release_package(server.target, "0.1.0");
  get.fields.set("X-Vigil-Host-Id", host_id);
  get.fields.set("Authorization", "Bearer " + provisioned->agent_token);
  get.fields.set("Range", "bytes=" + std::to_string(from) + "-");
  auto answer = raw.send(server, get);
  REQUIRE(answer);
  REQUIRE(answer->status == 206);
  CHECK(answer->body.size() == bytes.size() - from);
  CHECK(answer->body == bytes.substr(from));
  auto span = std::to_string(from) + "-" + std::to_string(bytes.size() - 1);
  CHECK(answer->fields.get("Content-Range") == "bytes " + span + "/" + std::to_string(bytes.size()));
  CHECK(platform.request_log().find("range=" + span) != std::string::npos);
  get.fields.set("Range", "bytes=" + std::to_string(bytes.size()) + "-");
  auto past = raw.send(server, get);
  REQUIRE(past);
  CHECK(past->status == 416);

  // Offline, the same version again: a new serial, verified with the pinned key.
  CHECK(platform.terminate() == 0);
  auto again = platform_command(platform, {"release", "add", setup.string()});
  CAPTURE(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(again.out == "Version=0.1.0\nSerial=2\n");
  auto envelope = test::read_file(platform.data_dir() / "releases" / "0.1.0" / "metadata.json");
  trusted_keys keys;
  REQUIRE(keys.add(test::read_file(platform.trust_key_file())));
  auto payload = open_document(envelope, keys);
  REQUIRE(payload);
  auto meta = release_metadata::parse(*payload);
  REQUIRE(meta);
  CHECK(meta->serial == 2);
  CHECK(meta->sha256 == sha256_hex(bytes));
  auto listed = platform_command(platform, {"release", "list", "--json"});
  REQUIRE(listed.exit_code == 0);
  auto releases = json::parse(listed.out);
  REQUIRE(releases.size() == 1);
  CHECK(releases[0]["serial"] == 2);
  CHECK(releases[0]["halted"] == false);
}
