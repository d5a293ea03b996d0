// Orders and uninstall keys on the platform's service, over an in-memory store
// with an injected clock and signer: signed orders delivered at every check-in
// until acknowledged, idempotent acknowledgements, the orders log, the asset
// view, an uninstall that removes the host, restarts, and SPFKEY issuing.

#include "platform/order_record.hpp"

#include <algorithm>
#include <map>
#include <doctest/doctest.h>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/signed_document.hpp"
#include "common/signing.hpp"
#include "common/spfkey.hpp"
#include "platform/platform_store.hpp"
#include "platform/service.hpp"
#include "protocol/checkin.hpp"
#include "protocol/guid.hpp"
#include "protocol/provision.hpp"
#include "protocol/signed_order.hpp"
#include "storage/memory_store.hpp"

using namespace vigil;
using nlohmann::json;

namespace {

const std::string host_a = "{11111111-2222-4333-8444-555555555555}";
const std::string host_b = "{66666666-7777-4888-9999-AAAAAAAAAAAA}";

std::shared_ptr<const signing_key> make_signer() {
  auto key = signing_key::generate();
  REQUIRE(key);
  return std::make_shared<const signing_key>(std::move(*key));
}

/// A platform service over `store`, with a signer and a captured orders log.
struct platform_instance {
  platform_instance(memory_store& store, std::shared_ptr<const signing_key> signer,
                    int64_t& now, std::vector<std::string>& log)
    : service{store, options(std::move(signer), log), [&now] { return now; }} {
    REQUIRE(service.initialize());
  }

  static platform::service_options options(std::shared_ptr<const signing_key> signer,
                                           std::vector<std::string>& log) {
    platform::service_options out;
    out.signer = std::move(signer);
    out.order_log = [&log](const std::string& line) { log.push_back(line); };
    return out;
  }

  platform::platform_service service;
};

struct fixture {
  memory_store store{platform::platform_columns()};
  std::shared_ptr<const signing_key> signer = make_signer();
  int64_t now = 1'700'000'000;
  std::vector<std::string> log;
  std::unique_ptr<platform_instance> platform =
    std::make_unique<platform_instance>(store, signer, now, log);
  std::string customer, activation;
  std::map<std::string, std::string> tokens;

  fixture() {
    auto ids = service().create_customer({"Vulnerability"});
    REQUIRE(ids);
    customer = ids->first;
    activation = ids->second;
  }

  platform::platform_service& service() {
    return platform->service;
  }

  /// A new service over the same store: what a restart of the platform sees.
  void restart() {
    platform.reset();
    platform = std::make_unique<platform_instance>(store, signer, now, log);
  }

  trusted_keys root() const {
    trusted_keys keys;
    REQUIRE(keys.add(signer->public_key_text()));
    return keys;
  }

  http_response call(std::string target, std::string body, const std::string& host) {
    http_request r;
    r.method = "POST";
    r.target = "/CloudAgent/" + std::move(target);
    r.body = std::move(body);
    if (!host.empty()) {
      r.fields.set("X-Vigil-Host-Id", host);
      r.fields.set("Authorization", "Bearer " + tokens[host]);
    }
    return service().handle(r);
  }

  void provision(const std::string& host) {
    protocol::provision_request req;
    req.customer_id = customer;
    req.activation_id = activation;
    req.host_id = host;
    req.fingerprint = "fp-" + host;
    req.agent_version = "0.1.0";
    req.inventory.hostname = "web";
    auto r = call("v1/provision", protocol::to_body(req), "");
    REQUIRE(r.status == 200);
    auto answer = protocol::parse_body<protocol::provision_response>(r.body);
    REQUIRE(answer);
    tokens[host] = answer->agent_token;
  }

  /// One check-in of `host` acknowledging `acks`; the signed orders it got.
  std::vector<std::string> checkin(const std::string& host,
                                   std::vector<protocol::order_ack> acks = {},
                                   unsigned expected_status = 200) {
    protocol::checkin_request req;
    req.host_id = host;
    req.agent_version = "0.1.0";
    req.order_acks = std::move(acks);
    auto r = call("v1/checkin", protocol::to_body(req), host);
    CAPTURE(r.body);
    REQUIRE(r.status == expected_status);
    if (expected_status != 200)
      return {};
    auto answer = protocol::parse_body<protocol::checkin_response>(r.body);
    REQUIRE_MESSAGE(answer, render(answer.error()));
    CHECK(answer->orders.empty()); // unsigned orders are never sent
    return answer->signed_orders;
  }

  std::string add(const std::string& host, json order) {
    auto id = service().add_order(host, order);
    REQUIRE_MESSAGE(id, render(id.error()));
    return *id;
  }

  /// The host's entry in `assets`, or null when it is not listed.
  std::optional<json> asset(const std::string& host) {
    auto all = service().assets();
    REQUIRE(all);
    for (auto& h : *all)
      if (h["host_id"] == host)
        return h;
    return std::nullopt;
  }

  /// The asset view's entry of order `id`.
  json order_entry(const std::string& host, const std::string& id) {
    auto h = asset(host);
    REQUIRE(h);
    for (auto& o : (*h)["orders"])
      if (o["id"] == id)
        return o;
    FAIL("order " << id << " is not listed");
    return {};
  }

  /// Log lines about order `id` whose event is `event`.
  size_t log_count(const std::string& id, const std::string& event) const {
    return std::count_if(log.begin(), log.end(), [&](const std::string& line) {
      return line.find(" order=" + id + " ") != std::string::npos
             && line.find(" " + event) != std::string::npos;
    });
  }
};

protocol::order_ack ack(const std::string& id, std::string result, std::string reason = {}) {
  return {id, std::move(result), std::move(reason)};
}

} // namespace

TEST_CASE("orders: delivered signed at every check-in until acknowledged, then never again") {
  fixture f;
  f.provision(host_a);
  f.provision(host_b);
  auto id = f.add(host_a, {{"type", "scan"}, {"module", "Vulnerability"}});
  CHECK(protocol::is_guid(id));
  CHECK(f.order_entry(host_a, id)["state"] == "pending");
  CHECK(f.checkin(host_b).empty()); // another host's orders are not its own
  std::string first;
  for (int i = 0; i < 3; ++i) {
    f.now += 60;
    auto orders = f.checkin(host_a);
    REQUIRE(orders.size() == 1);
    if (i == 0)
      first = orders[0];
    CHECK(orders[0] == first); // signed once, at enqueue
  }
  auto opened = protocol::open_signed_order(first, f.root(), host_a);
  REQUIRE_MESSAGE(opened, render(opened.error()));
  CHECK(opened->id == id);
  CHECK(opened->type == protocol::order_type::scan);
  CHECK(opened->module == "Vulnerability");
  // Signed for host_a: host_b (or anyone replaying it there) refuses it.
  auto elsewhere = protocol::open_signed_order(first, f.root(), host_b);
  REQUIRE_FALSE(elsewhere);
  CHECK(code_of(elsewhere.error()) == ec::wrong_host);
  auto entry = f.order_entry(host_a, id);
  CHECK(entry["state"] == "delivered");
  CHECK(entry["deliveries"] == 3);
  // The acknowledgement's check-in carries it no more, nor does any later one.
  f.now += 60;
  CHECK(f.checkin(host_a, {ack(id, "done")}).empty());
  CHECK(f.checkin(host_a).empty());
  entry = f.order_entry(host_a, id);
  CHECK(entry["state"] == "done");
  CHECK(entry["at"] == f.now);
  CHECK(f.log_count(id, "queued") == 1);
  CHECK(f.log_count(id, "delivered") == 3);
  CHECK(f.log_count(id, "done") == 1);
  // The log line's shape.
  auto done_line = std::find_if(f.log.begin(), f.log.end(), [](const std::string& l) {
    return l.find(" done reason=") != std::string::npos;
  });
  REQUIRE(done_line != f.log.end());
  CHECK(*done_line == "2023-11-14T22:17:20Z host=" + host_a + " order=" + id + " type=scan done reason=");
}

TEST_CASE("orders: several orders go out in the order they were queued") {
  fixture f;
  f.provision(host_a);
  auto one = f.add(host_a, {{"type", "self_protection"}, {"enabled", true}});
  auto two = f.add(host_a, {{"type", "reprovision"}});
  auto three = f.add(host_a, {{"type", "upgrade"}, {"target_version", "0.2.0"}});
  auto orders = f.checkin(host_a);
  REQUIRE(orders.size() == 3);
  std::vector<std::string> ids;
  for (auto& envelope : orders) {
    auto opened = protocol::open_signed_order(envelope, f.root(), host_a);
    REQUIRE(opened);
    ids.push_back(opened->id);
  }
  CHECK(ids == std::vector<std::string>{one, two, three});
  // Acknowledging the middle one leaves the others outstanding.
  orders = f.checkin(host_a, {ack(two, "done")});
  CHECK(orders.size() == 2);
}

TEST_CASE("orders: a repeated or unknown acknowledgement changes nothing") {
  fixture f;
  f.provision(host_a);
  auto id = f.add(host_a, {{"type", "reprovision"}});
  REQUIRE(f.checkin(host_a).size() == 1);
  f.now += 10;
  // The agent crashed after acting and acknowledges again (twice in one
  // check-in, then in two more check-ins), with another result even.
  CHECK(f.checkin(host_a, {ack(id, "done"), ack(id, "failed", "second thoughts")}).empty());
  auto acked_at = f.now;
  f.now += 10;
  CHECK(f.checkin(host_a, {ack(id, "done")}).empty());
  f.now += 10;
  CHECK(f.checkin(host_a, {ack(id, "refused", "x"), ack("no-such-order", "done")}).empty());
  auto entry = f.order_entry(host_a, id);
  CHECK(entry["state"] == "done");
  CHECK(entry["reason"] == "");
  CHECK(entry["at"] == acked_at);
  CHECK(f.log_count(id, "done") == 1);
  CHECK(f.log_count(id, "failed") == 0);
  CHECK(f.log_count(id, "refused") == 0);
  CHECK(f.log_count("no-such-order", "done") == 0);
  CHECK(f.asset(host_a)->at("orders").size() == 1);
  // Also across a restart of the platform.
  f.restart();
  CHECK(f.checkin(host_a, {ack(id, "failed", "late")}).empty());
  CHECK(f.order_entry(host_a, id)["state"] == "done");
  CHECK(f.log_count(id, "failed") == 0);
}

TEST_CASE("orders: the acknowledgements' results and reasons show in assets") {
  fixture f;
  f.provision(host_a);
  auto done = f.add(host_a, {{"type", "scan"}, {"module", "Inventory"}});
  auto failed = f.add(host_a, {{"type", "upgrade"}, {"target_version", "9.9.9"}});
  auto refused = f.add(host_a, {{"type", "self_protection"}, {"enabled", false}});
  REQUIRE(f.checkin(host_a).size() == 3);
  auto pending = f.add(host_a, {{"type", "reprovision"}});
  f.now += 5;
  auto left = f.checkin(host_a, {ack(done, "done"), ack(failed, "failed", "no such release 9.9.9"),
                                 ack(refused, "refused", "signature_invalid: unknown key")});
  REQUIRE(left.size() == 1);
  CHECK(protocol::open_signed_order(left[0], f.root(), host_a)->id == pending);
  auto h = f.asset(host_a);
  REQUIRE(h);
  auto& orders = (*h)["orders"];
  REQUIRE(orders.size() == 4);
  CHECK(orders[0]["id"] == done);
  CHECK(orders[0]["type"] == "scan");
  CHECK(orders[0]["state"] == "done");
  CHECK(orders[1]["state"] == "failed");
  CHECK(orders[1]["reason"] == "no such release 9.9.9");
  CHECK(orders[1]["at"] == f.now);
  CHECK(orders[2]["state"] == "refused");
  CHECK(orders[2]["reason"] == "signature_invalid: unknown key");
  CHECK(orders[3]["id"] == pending);
  CHECK(orders[3]["state"] == "delivered");
  CHECK(f.log_count(failed, "failed reason=no such release 9.9.9") == 1);
}

TEST_CASE("orders: an uninstall acknowledged done removes the host and its data") {
  fixture f;
  f.provision(host_a);
  f.provision(host_b);
  // Module data of both hosts, as uploads leave it.
  for (auto& host : {host_a, host_b}) {
    REQUIRE(f.store.put(platform::column::sequences, platform::join_key({host, "Vulnerability"}),
                        platform::encode_applied({1, 1})));
    REQUIRE(f.store.put(platform::column::rows, platform::join_key({host, "Vulnerability", "k"}),
                        "v"));
  }
  SUBCASE("a failed uninstall keeps the host") {
    auto id = f.add(host_a, {{"type", "uninstall"}});
    REQUIRE(f.checkin(host_a).size() == 1);
    CHECK(f.checkin(host_a, {ack(id, "failed", "files busy")}).empty());
    CHECK(f.asset(host_a));
    CHECK(f.order_entry(host_a, id)["state"] == "failed");
  }
  SUBCASE("a done uninstall drops it") {
    auto id = f.add(host_a, {{"type", "uninstall"}});
    auto other = f.add(host_a, {{"type", "reprovision"}});
    REQUIRE(f.checkin(host_a).size() == 2);
    CHECK(f.checkin(host_a, {ack(id, "done")}).empty());
    CHECK_FALSE(f.asset(host_a));
    CHECK(f.asset(host_b));
    auto rows = f.service().rows(host_a, "Vulnerability");
    REQUIRE(rows);
    CHECK(rows->empty());
    CHECK(f.service().rows(host_b, "Vulnerability")->size() == 1);
    CHECK(f.log_count(id, "done") == 1);
    CHECK(f.log_count(other, "delivered") == 1); // not delivered to a host that is gone
    // Its token no longer works, and a restart does not bring anything back.
    f.checkin(host_a, {}, 401);
    f.restart();
    CHECK_FALSE(f.asset(host_a));
    f.checkin(host_a, {}, 401);
    CHECK(f.checkin(host_b).empty());
    // A reinstall with the same HostID provisions afresh, with no old orders.
    f.provision(host_a);
    CHECK(f.checkin(host_a).empty());
    CHECK(f.asset(host_a)->at("orders").empty());
  }
}

TEST_CASE("orders: outstanding orders survive a platform restart") {
  fixture f;
  f.provision(host_a);
  auto delivered = f.add(host_a, {{"type", "reprovision"}});
  REQUIRE(f.checkin(host_a).size() == 1);
  auto queued = f.add(host_a, {{"type", "scan"}, {"module", "Vulnerability"}});
  f.restart();
  auto orders = f.checkin(host_a);
  REQUIRE(orders.size() == 2);
  CHECK(protocol::open_signed_order(orders[0], f.root(), host_a)->id == delivered);
  CHECK(protocol::open_signed_order(orders[1], f.root(), host_a)->id == queued);
  CHECK(f.checkin(host_a, {ack(delivered, "done"), ack(queued, "done")}).empty());
  f.restart();
  CHECK(f.checkin(host_a).empty());
}

TEST_CASE("orders: an order queued by an older platform (unsigned) is signed at delivery") {
  fixture f;
  f.provision(host_a);
  REQUIRE(f.store.put(platform::column::orders, platform::join_key({host_a, "legacy-1"}),
                      json{{"id", "legacy-1"}, {"type", "uninstall"}}.dump()));
  f.restart();
  auto orders = f.checkin(host_a);
  REQUIRE(orders.size() == 1);
  auto opened = protocol::open_signed_order(orders[0], f.root(), host_a);
  REQUIRE(opened);
  CHECK(opened->id == "legacy-1");
  CHECK(f.order_entry(host_a, "legacy-1")["state"] == "delivered");
}

TEST_CASE("orders: what add_order refuses") {
  fixture f;
  f.provision(host_a);
  auto refused = [&](const std::string& host, json order, ec code, std::string part) {
    auto id = f.service().add_order(host, order);
    REQUIRE_FALSE(id);
    CHECK(code_of(id.error()) == code);
    CHECK_MESSAGE(context_of(id.error()).find(part) != std::string::npos, render(id.error()));
  };
  refused(host_a, {{"type", "bogus"}}, ec::invalid_argument, "unknown order type");
  refused(host_a, {{"type", "scan"}}, ec::invalid_argument, "module");
  refused(host_a, {{"type", "upgrade"}}, ec::invalid_argument, "target_version");
  refused(host_a, json::array(), ec::invalid_argument, "JSON object");
  refused(host_b, {{"type", "uninstall"}}, ec::not_found, "no host");
  refused("not-a-guid", {{"type", "uninstall"}}, ec::not_found, "no host");
  // An id of the caller's is kept; twice is refused.
  CHECK(f.add(host_a, {{"id", "mine"}, {"type", "reprovision"}}) == "mine");
  refused(host_a, {{"id", "mine"}, {"type", "uninstall"}}, ec::invalid_argument, "already");
  // HostIDs are GUIDs: any case finds the host, the order is signed for its stored spelling.
  std::string lower = host_a;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  auto id = f.add(lower, {{"type", "reprovision"}});
  auto orders = f.checkin(host_a);
  REQUIRE(orders.size() == 2);
  CHECK(protocol::open_signed_order_details(orders[1], f.root(), host_a)->host_id == host_a);
  CHECK(protocol::open_signed_order(orders[1], f.root(), host_a)->id == id);
}

TEST_CASE("spfkey: issued for a known host, verified with the root key only") {
  fixture f;
  f.provision(host_a);
  f.provision(host_b);
  auto issued = f.service().issue_spfkey(host_a, 24 * 3600);
  REQUIRE_MESSAGE(issued, render(issued.error()));
  CHECK((*issued)["host_id"] == host_a);
  CHECK((*issued)["expires_at"] == f.now + 24 * 3600);
  auto key = (*issued)["spfkey"].get<std::string>();
  CHECK(key.find_first_of(" =\n") == std::string::npos);
  auto claims = check_spfkey(key, f.root(), host_a, f.now);
  REQUIRE_MESSAGE(claims, render(claims.error()));
  CHECK(claims->expires_at == f.now + 24 * 3600);
  CHECK(claims->nonce.size() == 32);
  // Each key has its own nonce.
  auto again = f.service().issue_spfkey(host_a, 60);
  REQUIRE(again);
  CHECK(check_spfkey((*again)["spfkey"].get<std::string>(), f.root(), host_a, f.now)->nonce
        != claims->nonce);
  CHECK(code_of(check_spfkey(key, f.root(), host_b, f.now).error()) == ec::wrong_host);
  CHECK(code_of(check_spfkey(key, f.root(), host_a, f.now + 24 * 3600 + 1).error())
        == ec::metadata_expired);
  // The key never reaches the orders log.
  for (auto& line : f.log)
    CHECK(line.find(key.substr(0, 24)) == std::string::npos);
  auto unknown = f.service().issue_spfkey("{00000000-0000-4000-8000-000000000000}", 60);
  REQUIRE_FALSE(unknown);
  CHECK(code_of(unknown.error()) == ec::not_found);
  auto zero = f.service().issue_spfkey(host_a, 0);
  REQUIRE_FALSE(zero);
  CHECK(code_of(zero.error()) == ec::invalid_argument);
}

TEST_CASE("spfkey: a platform without a signing key issues none") {
  memory_store store{platform::platform_columns()};
  platform::platform_service service{store, {}, [] { return int64_t{1}; }};
  REQUIRE(service.initialize());
  auto issued = service.issue_spfkey(host_a, 60);
  REQUIRE_FALSE(issued);
  CHECK(code_of(issued.error()) == ec::invalid_argument);
}

TEST_CASE("order records: stored form, legacy form, log lines") {
  platform::order_record r;
  r.order = {{"id", "o"}, {"type", "scan"}, {"module", "UDC"}};
  r.envelope = "env";
  r.seq = 3;
  r.state = platform::order_state::refused;
  r.reason = "bad\nline";
  r.added_at = 1;
  r.at = 2;
  auto back = platform::order_record::parse(r.to_text());
  REQUIRE(back);
  CHECK(back->to_text() == r.to_text());
  CHECK(platform::order_log_line(0, host_a, r, "refused")
        == "1970-01-01T00:00:00Z host=" + host_a + " order=o type=scan refused reason=bad line");
  auto legacy = platform::order_record::parse(R"({"id":"x","type":"uninstall"})");
  REQUIRE(legacy);
  CHECK(legacy->state == platform::order_state::pending);
  CHECK(legacy->envelope.empty());
  CHECK_FALSE(platform::order_record::parse("[]"));
  CHECK_FALSE(platform::order_record::parse(R"({"order":{},"state":"lost"})"));
  CHECK_FALSE(platform::order_record::parse(R"({"order":{},"state":"done","seq":"x"})"));
  CHECK(platform::order_state_of_result("done") == platform::order_state::done);
  CHECK_FALSE(platform::order_state_of_result("delivered"));
}
