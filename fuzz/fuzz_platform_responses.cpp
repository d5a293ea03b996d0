// Fuzz target: the agent's side of every platform response, through the pure
// functions the actors call (no actors, no network). The input is one body,
// read as each of:
//   - a check-in answer (parse_body<checkin_response>, actors/checkin), with its
//     signed orders (open_signed_order, unverified_order_id: actors/orders) and
//     its upgrade offer (check_release: actors/selfpatch);
//   - a signed manifest (open_signed_manifest: actors/checkin) and the cached
//     manifest the module actors read (parse_body<manifest>);
//   - a profile (parse_profile_body, as the agent does, and parse_body<profile>);
//   - a signed order, signed release metadata, a key rotation document, and the
//     bare signed document under them all (open_document);
//   - an upload status, upload result, error body (error_of_answer for the
//     statuses the agent sees), provision and status answers.
// Signed documents are checked against a fixed test key (below); the seeds in
// corpus/platform_responses/ are signed with it (make_platform_seeds.py).
// Properties: no crash and no escaping exception; every parsed message
// serializes to a body that parses back to the same message; a signed
// document opens only with its real signature (Ed25519 signatures by this key
// are deterministic and their base64 canonical, so a success with any other
// signature text is a forgery the verifier let through); what opens with the
// test key never opens with no key trusted; an opened manifest is refused for
// another module and as a replay of a newer cached version; an opened order is
// for this host, carries the id unverified_order_id reads, and signs and
// opens again to the same order; accepted release metadata is unexpired, not
// older than the installed version, and round-trips; non-2xx answers always
// map to an error.

#include <limits>

#include "common/error.hpp"
#include "common/release_metadata.hpp"
#include "common/signed_document.hpp"
#include "common/signing.hpp"
#include "fuzz/body_round_trip.hpp"
#include "fuzz/fuzz_support.hpp"
#include "protocol/body.hpp"
#include "protocol/checkin.hpp"
#include "protocol/error_response.hpp"
#include "protocol/guid.hpp"
#include "protocol/manifest.hpp"
#include "protocol/profile.hpp"
#include "protocol/provision.hpp"
#include "protocol/signed_manifest.hpp"
#include "protocol/signed_order.hpp"
#include "protocol/status.hpp"
#include "protocol/upload.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace vigil;
using namespace vigil::protocol;

/// The test root: the Ed25519 seed 00 01 02 ... 1f. A fuzz key, never a real one.
constexpr std::string_view test_private_key =
  "vigil-ed25519-private:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The HostID the test orders are signed for.
constexpr std::string_view test_host_id = "{11111111-2222-4333-8444-555555555555}";

/// "Now" for release checks (2026-12-06), and the version this host runs.
constexpr int64_t test_now = 1796515200;
constexpr std::string_view test_installed_version = "0.1.0";

struct fixture {
  signing_key root;
  trusted_keys pinned;
  trusted_keys none;
};

const fixture& keys() {
  static const fixture f = [] {
    auto root = signing_key::from_text(test_private_key);
    fuzz::check(static_cast<bool>(root), "the test key parses");
    fixture out{*root, {}, {}};
    fuzz::check(static_cast<bool>(out.pinned.add(out.root.public_key_text())),
                "the test key is a public key");
    return out;
  }();
  return f;
}


bool has_code(const caf::error& e, ec code) {
  return e && code_of(e) == code;
}

/// The bare signed document: opens only with its real signature.
caf::expected<std::string> check_document(std::string_view envelope) {
  const auto& k = keys();
  fuzz::check(!open_document(envelope, k.none), "nothing opens with no key trusted");
  auto payload = open_document(envelope, k.pinned);
  if (!payload)
    return payload;
  auto doc = nlohmann::json::parse(envelope, nullptr, false);
  fuzz::check(doc.is_object() && doc.contains("signature") && doc["signature"].is_string(),
              "an opened document has a signature");
  fuzz::check(doc["signature"].get<std::string>() == k.root.sign(*payload),
              "a document opens only with its real signature");
  return payload;
}

void check_manifest(std::string_view body, const caf::expected<std::string>& payload) {
  const auto& k = keys();
  fuzz::check(!open_signed_manifest(body, "Inventory", nullptr, std::nullopt),
              "no manifest opens without a pinned key");
  if (!payload) {
    fuzz::check(!open_signed_manifest(body, "Inventory", &k.pinned, std::nullopt),
                "a manifest that does not verify is refused");
    return;
  }
  auto plain = parse_body<manifest>(*payload);
  auto module = plain ? plain->module : std::string{"Inventory"};
  auto opened = open_signed_manifest(body, module, &k.pinned, std::nullopt);
  fuzz::check(static_cast<bool>(opened) == static_cast<bool>(plain),
              "a verified payload opens as a manifest exactly when it parses as one");
  if (!opened)
    return;
  fuzz::check(opened->text == *payload && opened->content == *plain,
              "an opened manifest is its signed text");
  auto again = parse_body<manifest>(to_body(opened->content));
  fuzz::check(again && *again == opened->content, "an opened manifest round-trips");
  fuzz::check(has_code(open_signed_manifest(body, module + "x", &k.pinned, std::nullopt).error(),
                       ec::signature_invalid),
              "a manifest of another module is refused");
  if (plain->version < std::numeric_limits<int64_t>::max())
    fuzz::check(has_code(open_signed_manifest(body, module, &k.pinned, plain->version + 1).error(),
                         ec::replayed_metadata),
                "a manifest older than the cached one is refused");
  fuzz::check(static_cast<bool>(open_signed_manifest(body, module, &k.pinned, plain->version)),
              "the cached version itself opens again");
}

void check_order(std::string_view envelope, const caf::expected<std::string>& payload) {
  const auto& k = keys();
  auto unverified = unverified_order_id(envelope);
  auto opened = open_signed_order_details(envelope, k.pinned, test_host_id);
  fuzz::check(!open_signed_order(envelope, k.none, test_host_id), "no order opens unverified");
  if (!opened) {
    return;
  }
  fuzz::check(static_cast<bool>(payload), "an opened order was a verified document");
  fuzz::check(guid_equal(opened->host_id, test_host_id), "an opened order is for this host");
  fuzz::check(unverified && *unverified == opened->content.id,
              "unverified_order_id names the id of the order that opens");
  auto again = parse_order(to_json(opened->content));
  fuzz::check(again && *again == opened->content, "an opened order round-trips");
  auto resigned = open_signed_order_details(
    sign_order(k.root, opened->host_id, opened->content, opened->issued_at), k.pinned,
    test_host_id);
  fuzz::check(resigned && *resigned == *opened, "an opened order signs and opens again");
}

bool same(const release_metadata& a, const release_metadata& b) {
  return a.version == b.version && a.sha256 == b.sha256 && a.size == b.size
         && a.serial == b.serial && a.issued_at == b.issued_at && a.expires_at == b.expires_at
         && a.package_name == b.package_name;
}

void check_release_text(std::string_view text) {
  if (auto v = version::parse(text)) {
    auto again = version::parse(v->to_string());
    fuzz::check(again && *again == *v, "a version round-trips");
  }
  if (auto meta = release_metadata::parse(text)) {
    auto again = release_metadata::parse(meta->to_json_text());
    fuzz::check(again && same(*again, *meta), "release metadata round-trips");
  }
}

void check_release_offer(std::string_view envelope, const caf::expected<std::string>& payload) {
  const auto& k = keys();
  release_checks checks{test_now, 0, std::string{test_installed_version}};
  auto meta = check_release(envelope, k.pinned, checks);
  fuzz::check(!check_release(envelope, k.none, checks), "no release opens unverified");
  if (!meta)
    return;
  fuzz::check(static_cast<bool>(payload), "accepted metadata was a verified document");
  fuzz::check(meta->expires_at >= test_now, "accepted metadata has not expired");
  auto v = version::parse(meta->version);
  fuzz::check(v && *v >= *version::parse(test_installed_version),
              "accepted metadata is no downgrade");
  auto again = release_metadata::parse(meta->to_json_text());
  fuzz::check(again && same(*again, *meta), "accepted metadata round-trips");
  if (meta->serial < std::numeric_limits<uint64_t>::max()) {
    release_checks later{test_now, meta->serial + 1, std::string{test_installed_version}};
    fuzz::check(has_code(check_release(envelope, k.pinned, later).error(), ec::replayed_metadata),
                "metadata below the highest serial seen is refused");
  }
}

/// Every reading of one signed document the agent may receive.
void check_signed(std::string_view envelope) {
  auto payload = check_document(envelope);
  check_manifest(envelope, payload);
  check_order(envelope, payload);
  check_release_offer(envelope, payload);
  if (auto key = accept_rotated_key(envelope, keys().pinned))
    fuzz::check(static_cast<bool>(payload) && is_public_key_text(*key),
                "a rotated key comes from a verified document and is a key");
  if (payload)
    check_release_text(*payload);
}

void check_checkin_answer(std::string_view body) {
  vigil::fuzz::check_round_trip<checkin_response>(body);
  auto answer = parse_body<checkin_response>(body);
  if (!answer)
    return;
  for (const auto& o : answer->orders) { // unsigned orders: parsed, never obeyed
    auto again = parse_order(to_json(o));
    fuzz::check(again && *again == o, "an unsigned order round-trips");
  }
  for (const auto& envelope : answer->signed_orders) {
    auto payload = check_document(envelope);
    check_order(envelope, payload);
  }
  if (answer->upgrade) {
    auto payload = check_document(answer->upgrade->metadata);
    check_release_offer(answer->upgrade->metadata, payload);
  }
}

void check_profile(std::string_view body) {
  vigil::fuzz::check_round_trip<profile>(body);
  std::vector<caf::error> dropped;
  if (auto lenient = parse_profile_body(body, dropped)) {
    auto again = parse_body<profile>(to_body(*lenient));
    fuzz::check(again && *again == *lenient,
                "a profile without its malformed windows parses strictly");
  }
}

void check_upload_answers(std::string_view body) {
  vigil::fuzz::check_round_trip<upload_status>(body);
  vigil::fuzz::check_round_trip<upload_result>(body);
  vigil::fuzz::check_round_trip<error_response>(body);
  for (int status : {400, 401, 404, 409, 413, 429, 500, 503})
    fuzz::check(static_cast<bool>(error_of_answer(status, body)),
                "a non-2xx answer is always an error");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto body = fuzz::as_text(data, size);
  check_checkin_answer(body);
  check_signed(body);
  vigil::fuzz::check_round_trip<manifest>(body); // the cached manifest the module actors read
  check_profile(body);
  check_upload_answers(body);
  vigil::fuzz::check_round_trip<provision_response>(body);
  vigil::fuzz::check_round_trip<status_response>(body);
  check_release_text(body);
  return 0;
}
