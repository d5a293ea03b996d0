#include "common/release_metadata.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "common/signed_document.hpp"
#include "common/signing.hpp"

using vigil::ec;
using json = nlohmann::json;

namespace {

constexpr int64_t issued = 1'714'564'800; // 2024-05-01T12:00:00Z

vigil::release_metadata sample() {
  vigil::release_metadata m;
  m.version = "1.4.0";
  m.sha256 = vigil::sha256_hex("package bytes");
  m.size = 13;
  m.serial = 7;
  m.issued_at = issued;
  m.expires_at = issued + 86'400;
  m.package_name = "vigil-agent_1.4.0_amd64.deb";
  return m;
}

struct fixture {
  vigil::signing_key root = *vigil::signing_key::generate();
  vigil::trusted_keys keys;
  vigil::release_checks checks{issued + 60, 7, "1.3.2"};

  fixture() {
    REQUIRE(keys.add(root.public_key_text()));
  }

  std::string envelope(const vigil::release_metadata& m) const {
    return vigil::sign_document(root, m.to_json_text());
  }

  ec refusal(std::string_view env) const {
    auto result = vigil::check_release(env, keys, checks);
    REQUIRE_FALSE(result);
    return vigil::code_of(result.error());
  }
};

} // namespace

TEST_CASE("version: parses X.Y.Z and orders numerically") {
  auto v = vigil::version::parse("0.10.0");
  REQUIRE(v);
  CHECK(v->major_part == 0);
  CHECK(v->minor_part == 10);
  CHECK(v->patch_part == 0);
  CHECK(v->to_string() == "0.10.0");
  auto older = vigil::version::parse("0.9.9");
  REQUIRE(older);
  CHECK(*v > *older);
  CHECK(*vigil::version::parse("1.0.0") > *vigil::version::parse("0.99.99"));
  CHECK(*vigil::version::parse("1.2.10") > *vigil::version::parse("1.2.9"));
  CHECK(*vigil::version::parse("1.2.3") == *vigil::version::parse("1.2.3"));
  CHECK(*vigil::version::parse("01.2.3") == *vigil::version::parse("1.2.3"));
  auto max = vigil::version::parse("4294967295.0.1");
  REQUIRE(max);
  CHECK(max->major_part == 4294967295u);
}

TEST_CASE("version: anything but three 32-bit decimal parts is refused") {
  for (std::string_view bad : {"", "1", "1.2", "1.2.3.4", "1..3", ".1.2", "1.2.", "v1.2.3",
                               "1.2.3-rc1", " 1.2.3", "1.2.3\n", "+1.2.3", "-1.2.3", "1.2.x",
                               "1.2.0x1", "4294967296.0.0", "1.2.99999999999999999999"}) {
    CAPTURE(bad);
    auto v = vigil::version::parse(bad);
    REQUIRE_FALSE(v);
    CHECK(vigil::code_of(v.error()) == ec::parse_error);
  }
}

TEST_CASE("release metadata: JSON round trip; each missing or mistyped field is named") {
  auto m = sample();
  auto back = vigil::release_metadata::parse(m.to_json_text());
  REQUIRE(back);
  CHECK(back->version == m.version);
  CHECK(back->sha256 == m.sha256);
  CHECK(back->size == m.size);
  CHECK(back->serial == m.serial);
  CHECK(back->issued_at == m.issued_at);
  CHECK(back->expires_at == m.expires_at);
  CHECK(back->package_name == m.package_name);

  auto good = json::parse(m.to_json_text());
  CHECK(good["type"] == "release_metadata");
  auto check_field = [&](const char* field, json value) {
    auto doc = good;
    if (value.is_discarded())
      doc.erase(field);
    else
      doc[field] = std::move(value);
    CAPTURE(doc.dump());
    auto result = vigil::release_metadata::parse(doc.dump());
    REQUIRE_FALSE(result);
    CHECK(vigil::code_of(result.error()) == ec::parse_error);
    CHECK(vigil::context_of(result.error()).find("\"" + std::string{field} + "\"")
          != std::string::npos);
  };
  const json missing = json::value_t::discarded;
  for (const char* field : {"type", "version", "sha256", "size", "serial", "issued_at",
                            "expires_at", "package_name"})
    check_field(field, missing);
  check_field("type", "key_rotation");
  check_field("version", 140);
  check_field("version", "1.4");
  check_field("sha256", std::string(64, 'A'));
  check_field("sha256", "abc");
  check_field("size", -1);
  check_field("size", "13");
  check_field("size", 13.5);
  check_field("serial", -7);
  check_field("issued_at", "2024-05-01");
  check_field("expires_at", 1.5);
  check_field("expires_at", json(18446744073709551615ull));
  check_field("package_name", "../etc/passwd");
  check_field("package_name", "..");
  check_field("package_name", "");
  auto negative = good;
  negative["issued_at"] = -5;
  CHECK(vigil::release_metadata::parse(negative.dump()));
  CHECK(vigil::code_of(vigil::release_metadata::parse("[]").error()) == ec::parse_error);
  CHECK(vigil::code_of(vigil::release_metadata::parse("{").error()) == ec::parse_error);
}

TEST_CASE("check_release: metadata that passes every check is returned") {
  fixture f;
  auto result = vigil::check_release(f.envelope(sample()), f.keys, f.checks);
  REQUIRE(result);
  CHECK(result->version == "1.4.0");
  CHECK(result->serial == 7); // equal to the highest seen: the same metadata fetched again
  f.checks.highest_version_installed = "1.4.0"; // reinstalling the same version is no downgrade
  f.checks.now = sample().expires_at;           // valid through its expiry second
  CHECK(vigil::check_release(f.envelope(sample()), f.keys, f.checks));
}

TEST_CASE("check_release: each refusal has its own code") {
  fixture f;
  auto m = sample();
  auto foreign = *vigil::signing_key::generate();
  CHECK(f.refusal(vigil::sign_document(foreign, m.to_json_text())) == ec::signature_invalid);
  auto tampered = json::parse(f.envelope(m));
  tampered["signed"] = sample().to_json_text() + " ";
  CHECK(f.refusal(tampered.dump()) == ec::signature_invalid);
  CHECK(f.refusal(vigil::sign_document(f.root, R"({"type":"release_metadata"})"))
        == ec::parse_error);
  auto replayed = m;
  replayed.serial = 6;
  CHECK(f.refusal(f.envelope(replayed)) == ec::replayed_metadata);
  auto downgrade = m;
  downgrade.version = "1.3.1";
  CHECK(f.refusal(f.envelope(downgrade)) == ec::downgrade_refused);
  auto expired = m;
  expired.expires_at = f.checks.now - 1;
  auto result = vigil::check_release(f.envelope(expired), f.keys, f.checks);
  REQUIRE_FALSE(result);
  CHECK(vigil::code_of(result.error()) == ec::metadata_expired);
  CHECK(vigil::context_of(result.error()).find("2024-05-01T12:00:59Z") != std::string::npos);
  f.checks.highest_version_installed = "latest";
  CHECK(f.refusal(f.envelope(m)) == ec::invalid_argument);
}

TEST_CASE("check_release: refusals come in the documented order") {
  fixture f;
  // Everything wrong at once: older serial, lower version, expired.
  auto m = sample();
  m.serial = 1;
  m.version = "0.1.0";
  m.expires_at = issued;
  auto foreign = *vigil::signing_key::generate();
  CHECK(f.refusal(vigil::sign_document(foreign, "not json")) == ec::signature_invalid);
  CHECK(f.refusal(f.envelope(m) + "x") == ec::signature_invalid);
  CHECK(f.refusal(vigil::sign_document(f.root, "not json")) == ec::parse_error);
  CHECK(f.refusal(f.envelope(m)) == ec::replayed_metadata);
  m.serial = 8;
  CHECK(f.refusal(f.envelope(m)) == ec::downgrade_refused);
  m.version = "1.5.0";
  CHECK(f.refusal(f.envelope(m)) == ec::metadata_expired);
  m.expires_at = f.checks.now;
  auto accepted = vigil::check_release(f.envelope(m), f.keys, f.checks);
  REQUIRE(accepted);
  CHECK(accepted->serial == 8);
}

TEST_CASE("check_package_bytes: size first, then hash") {
  auto m = sample();
  CHECK(vigil::check_package_bytes(m, vigil::sha256_hex("package bytes"), 13));
  auto bigger = vigil::check_package_bytes(m, vigil::sha256_hex("package bytes!"), 14);
  REQUIRE_FALSE(bigger);
  CHECK(vigil::code_of(bigger.error()) == ec::size_exceeded);
  auto other = vigil::check_package_bytes(m, vigil::sha256_hex("package bytez"), 13);
  REQUIRE_FALSE(other);
  CHECK(vigil::code_of(other.error()) == ec::hash_mismatch);
  auto shorter = vigil::check_package_bytes(m, vigil::sha256_hex("package"), 7);
  REQUIRE_FALSE(shorter);
  CHECK(vigil::code_of(shorter.error()) == ec::hash_mismatch);
}

TEST_CASE("release metadata: the expanded package's hash and size are signed when present") {
  auto m = sample();
  CHECK(m.to_json_text().find("expanded") == std::string::npos); // older metadata: unchanged
  auto refused = vigil::check_expanded_package_bytes(m, vigil::sha256_hex("x"), 1);
  REQUIRE_FALSE(refused);
  CHECK(vigil::code_of(refused.error()) == ec::hash_mismatch);
  m.expanded_sha256 = vigil::sha256_hex("expanded bytes");
  m.expanded_size = 14;
  auto parsed = vigil::release_metadata::parse(m.to_json_text());
  REQUIRE(parsed);
  CHECK(parsed->expanded_sha256 == m.expanded_sha256);
  CHECK(parsed->expanded_size == 14);
  CHECK(vigil::check_expanded_package_bytes(*parsed, vigil::sha256_hex("expanded bytes"), 14));
  auto longer = vigil::check_expanded_package_bytes(*parsed, vigil::sha256_hex("expanded bytes!"), 15);
  REQUIRE_FALSE(longer);
  CHECK(vigil::code_of(longer.error()) == ec::size_exceeded);
  auto other = vigil::check_expanded_package_bytes(*parsed, vigil::sha256_hex("expanded bytez"), 14);
  REQUIRE_FALSE(other);
  CHECK(vigil::code_of(other.error()) == ec::hash_mismatch);
  auto text = m.to_json_text();
  auto bad = text.replace(text.find(m.expanded_sha256), 64, std::string(64, 'X'));
  CHECK_FALSE(vigil::release_metadata::parse(bad));
}

TEST_CASE("release metadata: the program files' list hash is signed when present, checked when "
          "parsed") {
  auto m = sample();
  CHECK(m.to_json_text().find("files_sha256") == std::string::npos); // older metadata: unchanged
  REQUIRE(vigil::release_metadata::parse(m.to_json_text())->files_sha256.empty());
  m.files_sha256 = vigil::sha256_hex("the list");
  auto parsed = vigil::release_metadata::parse(m.to_json_text());
  REQUIRE(parsed);
  CHECK(parsed->files_sha256 == m.files_sha256);
  auto text = m.to_json_text();
  auto bad = text.replace(text.find(m.files_sha256), 64, std::string(63, 'a'));
  auto refused = vigil::release_metadata::parse(bad);
  REQUIRE_FALSE(refused);
  CHECK(vigil::render(refused.error()).find("files_sha256") != std::string::npos);
}
