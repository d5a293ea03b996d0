// Manifests the agent accepts: signed by the pinned root, for the module asked,
// not older than the cached one (issue 15, defect 1).

#include "protocol/signed_manifest.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "common/signed_document.hpp"
#include "common/signing.hpp"

using namespace vigil;
using namespace vigil::protocol;

namespace {

std::string command_manifest(const std::string& module, int64_t version) {
  manifest m;
  m.module = module;
  m.version = version;
  m.collectors.push_back({"command", {{"type", "command"}, {"argv", {"/bin/id"}}}});
  return to_body(m);
}

struct keys_fixture {
  signing_key root = *signing_key::generate();
  signing_key stranger = *signing_key::generate();
  trusted_keys pinned;
  keys_fixture() {
    REQUIRE(pinned.add(root.public_key_text()));
  }
};

} // namespace

TEST_CASE("signed manifest: a manifest signed by the pinned root is accepted, text and all") {
  keys_fixture k;
  auto body = sign_document(k.root, command_manifest("UDC", 3));
  auto opened = open_signed_manifest(body, "UDC", &k.pinned, 2);
  REQUIRE(opened);
  CHECK(opened->content.version == 3);
  CHECK(opened->text == command_manifest("UDC", 3));
  CHECK(open_signed_manifest(body, "UDC", &k.pinned, 3)); // the same version again
}

TEST_CASE("signed manifest: unsigned, foreign, altered, misplaced or replayed is refused") {
  keys_fixture k;
  auto plain = command_manifest("UDC", 3);
  auto refused = [&](std::string_view body, std::string_view module, const trusted_keys* keys,
                     std::optional<int64_t> cached) {
    auto r = open_signed_manifest(body, module, keys, cached);
    REQUIRE_FALSE(r);
    return code_of(r.error());
  };
  // What today's platform serves: a plain manifest.
  CHECK(refused(plain, "UDC", &k.pinned, std::nullopt) == ec::signature_invalid);
  // Signed, but by a key this host never pinned (a compromised front end).
  CHECK(refused(sign_document(k.stranger, plain), "UDC", &k.pinned, std::nullopt)
        == ec::signature_invalid);
  // Signed, then altered on the way: the command is changed.
  auto signed_body = sign_document(k.root, plain);
  auto altered = signed_body;
  auto at = altered.find("/bin/id");
  REQUIRE(at != std::string::npos);
  altered.replace(at, 7, "/bin/sh");
  CHECK(refused(altered, "UDC", &k.pinned, std::nullopt) == ec::signature_invalid);
  // A genuine manifest of another module served in place of this one.
  CHECK(refused(signed_body, "Inventory", &k.pinned, std::nullopt) == ec::signature_invalid);
  // An older genuine manifest replayed after a newer one was cached.
  CHECK(refused(signed_body, "UDC", &k.pinned, 4) == ec::replayed_metadata);
  // No root pinned: nothing verifies.
  CHECK(refused(signed_body, "UDC", nullptr, std::nullopt) == ec::signature_invalid);
  // Signed text that is no manifest.
  CHECK(refused(sign_document(k.root, "{\"module\":1}"), "UDC", &k.pinned, std::nullopt)
        == ec::protocol_error);
}
