#pragma once

// What the platform keeps of one order (SPEC §16: delivered until
// acknowledged) and the lines of its orders log. Pure: no store, no clock.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::platform {

/// Where an order is in its life: queued, handed out at least once, or
/// acknowledged (the last three are final: never delivered again).
enum class order_state { pending, delivered, done, failed, refused };

/// "pending", "delivered", "done", "failed" or "refused".
std::string_view to_string(order_state state) noexcept;

/// The state an `order_ack::result` names, or nothing for another text.
std::optional<order_state> order_state_of_result(std::string_view result) noexcept;

/// Whether `state` is an acknowledgement (done, failed, refused).
bool is_final(order_state state) noexcept;

/// One order as `column::orders` stores it under `host|id`.
struct order_record {
  nlohmann::json order;      ///< the order as `protocol::to_json(order)` (with its id)
  std::string envelope;      ///< signed for the host (`protocol::sign_order`); empty: not yet
  uint64_t seq = 0;          ///< enqueue order among the host's orders (delivery order)
  order_state state = order_state::pending;
  std::string reason;        ///< the agent's reason with its acknowledgement
  int64_t added_at = 0;      ///< Unix seconds
  int64_t delivered_at = 0;  ///< first delivery; 0: never delivered
  uint64_t deliveries = 0;   ///< check-ins that carried it
  int64_t at = 0;            ///< when `state` was reached

  /// The order's id (`order["id"]`).
  std::string id() const;
  /// The order's type (`order["type"]`).
  std::string type() const;

  /// The stored form, one line of JSON.
  std::string to_text() const;

  /// A stored record. A value that is a bare order (what platforms before
  /// acknowledgements stored) is read as a pending order without an envelope.
  /// Nothing when `text` is neither.
  static std::optional<order_record> parse(std::string_view text);

  /// The asset view's entry: {id, type, state, reason, at, added_at,
  /// deliveries}.
  nlohmann::json to_asset_json() const;
};

/// One line of DIR/orders.log, without a line break:
/// `<ISO time> host=<G> order=<id> type=<t> <event>[ reason=<reason>]`, the
/// event being "queued", "delivered" or an acknowledgement ("done", "failed",
/// "refused", which always carry `reason=`, empty or not). Control characters
/// in the reason become spaces, so an agent cannot forge log lines.
std::string order_log_line(int64_t now, std::string_view host_id, const order_record& record,
                           std::string_view event);

} // namespace vigil::platform
