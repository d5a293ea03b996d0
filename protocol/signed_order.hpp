#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "protocol/checkin.hpp"

// Orders signed by the platform's root key (DESIGN "One trust root", SPEC §13):
// whoever holds a TLS path to an agent still cannot make it uninstall itself.
// The envelope is a signed document (common/signed_document.hpp) whose payload is
//   {"type":"order","host_id":"{G}","issued_at":N,"order":{...to_json(order)...}}

namespace vigil {
class signing_key;
class trusted_keys;
} // namespace vigil

namespace vigil::protocol {

/// The payload type of a signed order, so that no other signed document (a
/// manifest, release metadata, an SPFKEY) can be taken for one.
inline constexpr std::string_view order_payload_type = "order";

/// A signed order once verified, with what the platform signed around it.
struct opened_order {
  order content;         ///< the order to carry out
  std::string host_id;   ///< the HostID it was signed for (equal to the caller's)
  int64_t issued_at = 0; ///< when the platform signed it, Unix seconds

  friend bool operator==(const opened_order&, const opened_order&) = default;
};

/// The envelope carrying `o` for the host `host_id`, signed by `key` at
/// `issued_at` (Unix seconds): one line of JSON, an entry of
/// `checkin_response::signed_orders`.
std::string sign_order(const signing_key& key, std::string_view host_id, const order& o,
                       int64_t issued_at);

/// The order in `envelope` once verified against `keys` (the pinned root),
/// refused with a named cause:
///   - `ec::signature_invalid`: not an envelope, unsigned, signed by a key not
///     in `keys`, altered after signing, or a signed payload that is not an
///     order (another "type", no "host_id", "issued_at" or "order" object);
///   - `ec::wrong_host`: signed for another HostID than `my_host_id` (GUIDs
///     compared ignoring case); the context names both HostIDs, never keys;
///   - `ec::protocol_error`: a correctly signed order for this host that this
///     agent cannot read (an unknown order type from a newer platform, a field
///     its type needs missing), as `parse_order` names it.
/// The order's id is unique per host: the caller acknowledges it once carried
/// out and ignores a redelivery of an id it already acknowledged.
caf::expected<opened_order> open_signed_order_details(std::string_view envelope,
                                                      const trusted_keys& keys,
                                                      std::string_view my_host_id);

/// `open_signed_order_details(...)->content`: the same checks, the same errors.
caf::expected<order> open_signed_order(std::string_view envelope, const trusted_keys& keys,
                                       std::string_view my_host_id);

/// The order id `envelope` claims, WITHOUT verifying anything: only for
/// acknowledging a refused order as `order_result_refused` (so the platform
/// stops delivering it and shows why), never for acting on it. Nothing when
/// the envelope has no readable payload with a non-empty string "order.id".
std::optional<std::string> unverified_order_id(std::string_view envelope);

} // namespace vigil::protocol
