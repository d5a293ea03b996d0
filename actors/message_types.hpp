#pragma once

// How Vigil's plain value types travel in CAF messages: `inspect` overloads
// (CAF 0.17 requires message types to be inspectable) and the atoms.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <memory>

#include "net/http_message.hpp"
#include "net/proxy_chain.hpp"
#include "protocol/checkin.hpp"
#include "scan/snapshot.hpp"

namespace vigil {

using request_atom = caf::atom_constant<caf::atom("request")>;
using upload_atom = caf::atom_constant<caf::atom("upload")>;
using credentials_atom = caf::atom_constant<caf::atom("creds")>;
using proxies_atom = caf::atom_constant<caf::atom("proxies")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using record_atom = caf::atom_constant<caf::atom("record")>;

/// A finished scan's rows, shared read-only between the module that made them
/// and the delta actor that diffs them (a snapshot may hold a million rows:
/// it travels by pointer, never copied).
using snapshot_ptr = std::shared_ptr<const scan::snapshot>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_fields& x) {
  return f(caf::meta::type_name("http_fields"), x.entries);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_request& x) {
  return f(caf::meta::type_name("http_request"), x.method, x.target, x.fields, x.body,
           x.response_limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_response& x) {
  return f(caf::meta::type_name("http_response"), x.status, x.fields, x.body);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, url& x) {
  return f(caf::meta::type_name("url"), x.scheme, x.host, x.port, x.target, x.username,
           x.password);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, proxy_credentials& x) {
  return f(caf::meta::type_name("proxy_credentials"), x.username, x.password);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, proxy_settings& x) {
  return f(caf::meta::type_name("proxy_settings"), x.proxies, x.credentials,
           x.credentialed, x.credentials_to_any, x.direct_fallback);
}

namespace protocol {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upgrade_offer& x) {
  return f(caf::meta::type_name("upgrade_offer"), x.version, x.metadata);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_ack& x) {
  return f(caf::meta::type_name("order_ack"), x.id, x.result, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upgrade_report& x) {
  return f(caf::meta::type_name("upgrade_report"), x.state, x.target, x.reason, x.at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tamper_event& x) {
  return f(caf::meta::type_name("tamper_event"), x.at, x.kind, x.target, x.what, x.action, x.pid,
           x.exe, x.uid, x.seq);
}

} // namespace protocol

} // namespace vigil

// Local messages only: a snapshot never leaves the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::snapshot_ptr)
