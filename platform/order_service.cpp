// Orders and uninstall keys on the platform (SPEC §13, §16): orders signed for
// one host and delivered at every check-in until the agent acknowledges them,
// the acknowledgements (an uninstall done removes the host), and SPFKEYs.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/spfkey.hpp"
#include "platform/platform_store.hpp"
#include "platform/service.hpp"
#include "platform/service_util.hpp"
#include "protocol/guid.hpp"
#include "protocol/json_reader.hpp"
#include "protocol/signed_order.hpp"

using nlohmann::json;

namespace vigil::platform {

using namespace detail;

caf::expected<std::string> platform_service::stored_host_id(const std::string& host_id) {
  auto exact = store_.get(column::hosts, host_id);
  if (!exact)
    return exact.error();
  if (*exact)
    return host_id;
  std::string found;
  if (protocol::is_guid(host_id)) {
    auto scanned = store_.scan(column::hosts, "", [&](std::string_view key, std::string_view) {
      if (!protocol::guid_equal(key, host_id))
        return true;
      found = std::string{key};
      return false;
    });
    if (!scanned)
      return scanned.error();
  }
  if (found.empty())
    return make_error(ec::not_found, "no host " + protocol::quoted_value(host_id)
                                       + " is known to this platform (see `assets`)");
  return found;
}

caf::expected<std::vector<std::pair<std::string, order_record>>>
platform_service::orders_of(const std::string& host_id) {
  std::vector<std::pair<std::string, order_record>> out;
  auto scanned = store_.scan(column::orders, host_id + "|",
                             [&](std::string_view key, std::string_view value) {
                               if (auto record = order_record::parse(value))
                                 out.emplace_back(std::string{key}, std::move(*record));
                               return true;
                             });
  if (!scanned)
    return scanned.error();
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second.seq < b.second.seq; });
  return out;
}

caf::expected<std::string> platform_service::add_order(const std::string& host_id,
                                                       const json& order) {
  if (!order.is_object())
    return make_error(ec::invalid_argument, "an order is a JSON object, e.g. {\"type\":\"scan\","
                                            "\"module\":\"Inventory\"}");
  if (!options_.signer)
    return make_error(ec::invalid_argument,
                      "the platform has no signing key: orders must be signed to be obeyed");
  auto body = order;
  if (!body.contains("id") || body["id"] == "")
    body["id"] = protocol::make_guid();
  auto parsed = protocol::parse_order(body);
  if (!parsed)
    return make_error(ec::invalid_argument, render(parsed.error()));
  auto guard = lock_everything();
  if (!guard)
    return guard.error();
  auto host = stored_host_id(host_id);
  if (!host)
    return host.error();
  auto existing = orders_of(*host);
  if (!existing)
    return existing.error();
  uint64_t seq = 0;
  for (auto& [key, record] : *existing) {
    if (record.id() == parsed->id)
      return make_error(ec::invalid_argument, "host " + *host + " already has an order with id "
                                                + protocol::quoted_value(parsed->id));
    seq = std::max(seq, record.seq);
  }
  auto now = now_();
  order_record record;
  record.order = protocol::to_json(*parsed);
  record.envelope = protocol::sign_order(*options_.signer, *host, *parsed, now);
  record.seq = seq + 1;
  record.added_at = now;
  record.at = now;
  if (auto ok = store_.put(column::orders, join_key({*host, parsed->id}), record.to_text(), {true});
      !ok)
    return ok.error();
  if (auto ok = bump_generation(); !ok)
    return ok.error();
  {
    std::lock_guard cache{cache_mutex_};
    hosts_with_orders_.insert(*host);
  }
  if (options_.order_log)
    options_.order_log(order_log_line(now, *host, record, "queued"));
  return parsed->id;
}

caf::expected<json> platform_service::issue_spfkey(const std::string& host_id, int64_t valid_s) {
  if (!options_.signer)
    return make_error(ec::invalid_argument,
                      "the platform has no signing key: it cannot issue uninstall keys");
  if (valid_s < 1)
    return make_error(ec::invalid_argument, "an uninstall key must be valid for at least 1 s");
  std::string host;
  {
    auto guard = lock_everything();
    if (!guard)
      return guard.error();
    auto stored = stored_host_id(host_id);
    if (!stored)
      return stored.error();
    host = std::move(*stored);
  }
  auto expires_at = now_() + valid_s;
  auto key = make_spfkey(*options_.signer, host, expires_at, protocol::random_hex(16));
  return json{{"spfkey", std::move(key)}, {"host_id", host}, {"expires_at", expires_at}};
}

caf::expected<platform_service::order_round>
platform_service::orders_at_checkin(const std::string& host_id,
                                    const std::vector<protocol::order_ack>& acks,
                                    write_batch& batch) {
  auto orders = orders_of(host_id);
  if (!orders)
    return orders.error();
  order_round round;
  std::vector<std::string> deliveries; // log lines, unless the host goes
  auto now = now_();
  for (auto& [key, record] : *orders) {
    if (is_final(record.state))
      continue; // acknowledged before: a repeated ack changes nothing
    auto id = record.id();
    auto ack = std::find_if(acks.begin(), acks.end(),
                            [&](const protocol::order_ack& a) { return a.id == id; });
    if (ack != acks.end()) {
      // parse_checkin_request accepted only the three results.
      record.state = order_state_of_result(ack->result).value_or(order_state::failed);
      record.reason = ack->reason;
      record.at = now;
      batch.put(column::orders, key, record.to_text());
      round.log_lines.push_back(order_log_line(now, host_id, record, to_string(record.state)));
      if (record.state == order_state::done && record.type() == "uninstall")
        round.remove_host = true;
      continue;
    }
    if (record.envelope.empty()) {
      // Queued by a platform that did not sign orders: sign it now.
      auto parsed = protocol::parse_order(record.order);
      if (!parsed) {
        record.state = order_state::failed;
        record.reason = "platform: stored order unreadable: " + render(parsed.error());
        record.at = now;
        batch.put(column::orders, key, record.to_text());
        round.log_lines.push_back(order_log_line(now, host_id, record, "failed"));
        continue;
      }
      if (!options_.signer) {
        round.outstanding = true; // waits for a platform that can sign it
        continue;
      }
      record.envelope = protocol::sign_order(*options_.signer, host_id, *parsed, now);
    }
    if (record.state == order_state::pending) {
      record.state = order_state::delivered;
      record.delivered_at = now;
      record.at = now;
    }
    ++record.deliveries;
    batch.put(column::orders, key, record.to_text());
    round.envelopes.push_back(record.envelope);
    deliveries.push_back(order_log_line(now, host_id, record, "delivered"));
    round.outstanding = true;
  }
  if (round.remove_host) {
    // The agent removed itself: so does the platform (the guide's uninstall
    // from the UI). Nothing is delivered to a host that is gone.
    if (auto erased = erase_host(host_id, batch); !erased)
      return erased.error();
    round.envelopes.clear();
    round.outstanding = false;
    return round;
  }
  round.log_lines.insert(round.log_lines.end(), deliveries.begin(), deliveries.end());
  return round;
}

caf::expected<void> platform_service::erase_host(const std::string& host_id, write_batch& batch) {
  batch.erase(column::hosts, host_id);
  batch.erase(column::checkins, host_id);
  auto prefix = host_id + "|";
  for (auto col : {column::sequences, column::uploads, column::chunks, column::rows,
                   column::orders, column::tamper}) {
    auto scanned = store_.scan(col, prefix, [&](std::string_view key, std::string_view) {
      batch.erase(col, std::string{key});
      return true;
    });
    if (!scanned)
      return scanned.error();
  }
  // Duplicates are keyed by fingerprint first: look at each.
  auto dups = store_.scan(column::duplicates, "", [&](std::string_view key, std::string_view value) {
    auto record = json::parse(value, nullptr, false);
    if (record.is_object() && record.value("host_id", "") == host_id)
      batch.erase(column::duplicates, std::string{key});
    return true;
  });
  if (!dups)
    return dups.error();
  return {};
}

void platform_service::forget_host(const std::string& host_id) {
  {
    std::lock_guard guard{cache_mutex_};
    auth_cache_.erase(host_id);
    latest_checkins_.erase(host_id);
    unsaved_checkins_.erase(host_id);
    hosts_with_orders_.erase(host_id);
  }
  std::lock_guard guard{rollout_mutex_};
  upgrades_.forget(host_id);
}

} // namespace vigil::platform
