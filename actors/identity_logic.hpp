#pragma once

// The agent's identity (SPEC §6 steps 2-3), as plain functions over the hive
// and the store: no CAF, so it is tested alone.

#include <caf/expected.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/hive_store.hpp"
#include "host/secret_box.hpp"
#include "protocol/provision.hpp"
#include "storage/kv_store.hpp"

namespace vigil {

/// What the agent knows about itself.
struct agent_identity {
  std::string host_id;      ///< the HostID in the hive
  std::string fingerprint;  ///< this machine's fingerprint
  std::string agent_token;  ///< empty until provisioned
  bool cloned = false;      ///< a new HostID was made because the machine changed
  /// Corrupt values found and rebuilt on the way (a garbled HostID in the
  /// hive restored from the store), one line each, for the status.
  std::vector<std::string> repairs;
};

/// Keys of the store's `meta` column that hold the identity.
namespace identity_keys {
inline constexpr const char* fingerprint = "identity.fingerprint";
inline constexpr const char* token = "identity.agent_token";
inline constexpr const char* token_host = "identity.token_host_id";
} // namespace identity_keys

/// Makes sure the hive holds a HostID for this machine and returns the
/// identity. No HostID (a fresh or GoldenImage install) -> a new one. A
/// fingerprint in the store that differs from `fingerprint` (the installed
/// root was copied to another machine) -> a new HostID and no token, so
/// clones never share an identity. A store without a fingerprint (reinstalled
/// after `Uninstall=True` kept the hive) keeps the HostID. The token is kept
/// only if it was issued to the current HostID. With `token_box`, the token
/// is stored sealed (AES-GCM with the host key, bound to the machine-id): a
/// token stored in clear by an older version is sealed now, and one that no
/// longer opens (the disk was copied to another machine) is forgotten, so
/// the agent provisions again instead of using it.
caf::expected<agent_identity> establish_identity(hive_store& hive, kv_store& store,
                                                 const std::string& fingerprint,
                                                 const secret_box* token_box = nullptr);

/// Replaces the HostID by a new one and forgets the token: the platform said
/// this HostID belongs to another machine (SPEC §16 duplicate detection).
caf::expected<agent_identity> renew_host_id(hive_store& hive, kv_store& store,
                                            agent_identity current);

/// Stores the token the platform issued to `identity.host_id`, synced: a crash
/// right after provisioning must not provision again with a new token. With
/// `token_box` it is sealed first: a copied disk or a cloned image carries no
/// usable token.
caf::expected<void> store_token(kv_store& store, const agent_identity& identity,
                                const secret_box* token_box = nullptr);

/// The purpose the token is sealed for (`secret_box`'s additional data).
inline constexpr std::string_view token_purpose = "agent-token";

/// The agent's settings the hive must hold before anything starts (SPEC §6
/// step 1). Missing or malformed values are an error naming each of them.
struct agent_settings {
  std::string customer_id;
  std::string activation_id;
  std::string web_service_uri;
};

/// Reads `agent_settings` from the hive.
caf::expected<agent_settings> read_agent_settings(const hive& h);

} // namespace vigil
