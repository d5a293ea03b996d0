// Self-protection's pure parts (SPEC §13): the state the hive holds, the
// protected values, and the program files' reference copy.

#include "host/self_protection.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <functional>
#include <fstream>
#include <sys/stat.h>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "common/signing.hpp"
#include "common/spfkey.hpp"
#include "host/hive_file.hpp"
#include "host/pinned_keys.hpp"
#include "host/program_integrity.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

constexpr const char* host = "{11111111-2222-4333-8444-555555555555}";
constexpr int64_t now = 1'700'000'000;

/// A hive with a HostID, the root of `key` pinned and protection requested.
struct protected_hive {
  test::temp_dir dir;
  signing_key key = *signing_key::generate();
  hive_file file{dir / "hive.reg"};

  protected_hive() {
    REQUIRE(file.update([&](hive& h) -> caf::expected<void> {
      h.set(agent_key, reg_value::sz("HostID", host));
      h.set(agent_key, reg_value::sz("CustomerId", "{C}"));
      h.set(trust_key(), reg_value::sz(root_key_value, key.public_key_text()));
      h.set(self_protection_key(), reg_value::dword("Enabled", 1));
      return {};
    }));
  }

  hive load() {
    auto h = file.load();
    REQUIRE(h);
    return *h;
  }
};

} // namespace

TEST_CASE("self-protection state: on when requested; an SPFKEY turns it off until it expires; "
          "a key written by hand does nothing") {
  protected_hive f;
  CHECK(read_protection_state(f.load(), now).on());
  // Written by hand without being used (its nonce not recorded): ignored.
  auto unused = make_spfkey(f.key, host, now + 60, "n1");
  REQUIRE(f.file.update([&](hive& h) -> caf::expected<void> {
    h.set(self_protection_key(), reg_value::sz("OffKey", unused));
    return {};
  }));
  CHECK(read_protection_state(f.load(), now).on());
  // Another host's key is refused by vigil-spconfig's path.
  auto other = turn_protection_off_with_key(
    f.file, make_spfkey(f.key, "{AAAAAAAA-2222-4333-8444-555555555555}", now + 60, "n2"), now);
  REQUIRE_FALSE(other);
  CHECK(code_of(other.error()) == ec::wrong_host);
  auto until = turn_protection_off_with_key(f.file, make_spfkey(f.key, host, now + 60, "n3"), now);
  REQUIRE(until);
  CHECK(*until == now + 60);
  auto state = read_protection_state(f.load(), now);
  CHECK_FALSE(state.on());
  CHECK(state.requested);
  CHECK(state.off_until == now + 60);
  CHECK_FALSE(self_protection_enabled(f.load(), now));
  // Expired: on again. The platform turning it on drops the key at once.
  CHECK(read_protection_state(f.load(), now + 61).on());
  REQUIRE(set_protection_requested(f.file, true));
  CHECK(read_protection_state(f.load(), now).on());
  CHECK(f.load().get(self_protection_key(), "OffKey") == nullptr);
}

TEST_CASE("protected hive values: changes are found and put back; a used key added to "
          "UsedKeys is not a change, one taken out is") {
  protected_hive f;
  auto baseline = protected_values_of(f.load());
  CHECK(compare_protected_values(f.load(), baseline).empty());
  // Administrators' values are not protected.
  REQUIRE(f.file.update([&](hive& h) -> caf::expected<void> {
    h.set(std::string{agent_key} + "\\ScanOnDemand\\Inventory", reg_value::dword("ScanOnDemand", 1));
    h.set(agent_key, reg_value::sz("CustomerId", "{OTHER}"));
    h.erase_value(trust_key(), root_key_value);
    h.set(agent_key, reg_value::sz("WebServiceUri", "https://evil.invalid/"));
    return {};
  }));
  auto changes = compare_protected_values(f.load(), baseline);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0] == hive_tamper{std::string{agent_key}, "CustomerId", "value changed"});
  CHECK(changes[1] == hive_tamper{std::string{agent_key}, "WebServiceUri", "added"});
  CHECK(changes[2] == hive_tamper{trust_key(), "RootKey", "deleted"});
  REQUIRE(f.file.update([&](hive& h) -> caf::expected<void> {
    restore_protected_values(h, baseline);
    return {};
  }));
  CHECK(compare_protected_values(f.load(), baseline).empty());
  CHECK(f.load().get(std::string{agent_key} + "\\ScanOnDemand\\Inventory", "ScanOnDemand"));

  // The first key used adds UsedKeys: not a change either.
  REQUIRE(use_spfkey(f.file, make_spfkey(f.key, host, now + 60, "a"), now));
  CHECK(compare_protected_values(f.load(), baseline).empty());
  REQUIRE(f.file.update([&](hive& h) -> caf::expected<void> {
    restore_protected_values(h, baseline);
    return {};
  }));
  CHECK(f.load().get(self_protection_key(), "UsedKeys") != nullptr);
  auto with_a = protected_values_of(f.load());
  REQUIRE(use_spfkey(f.file, make_spfkey(f.key, host, now + 60, "b"), now));
  CHECK(compare_protected_values(f.load(), with_a).empty());
  REQUIRE(f.file.update([&](hive& h) -> caf::expected<void> {
    h.set(self_protection_key(), reg_value::multi_sz("UsedKeys", {"b"}));
    return {};
  }));
  auto taken = compare_protected_values(f.load(), with_a);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].name == "UsedKeys");
  // A used key stays used: it is refused again.
  auto again = use_spfkey(f.file, make_spfkey(f.key, host, now + 60, "b"), now);
  REQUIRE_FALSE(again);
  CHECK(code_of(again.error()) == ec::replayed_metadata);
}

TEST_CASE("program files: the reference copy finds content, mode and deletion changes and "
          "restores them; an altered reference copy is not used") {
  test::temp_dir dir;
  paths p{dir.path()};
  fs::create_directories(p.bin_dir());
  auto program = p.bin_dir() / "vigil-agent";
  REQUIRE(write_file_atomically(program, "#!/bin/sh\nexit 0\n", 0755));
  REQUIRE(write_file_atomically(p.version_file(), "1.2.3\n", 0644));
  auto kept = keep_pristine_copy(p, "1.2.3", "");
  REQUIRE(kept);
  CHECK(kept->files.size() == 2);
  struct stat st{};
  REQUIRE(::stat(pristine_dir(p, "1.2.3").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  auto manifest = load_program_manifest(p, "1.2.3");
  REQUIRE(manifest);
  CHECK(manifest->version == "1.2.3");
  program_file_checker checker{p, *manifest};
  CHECK(checker.check().empty());

  { std::ofstream{program, std::ios::app} << "echo owned\n"; }
  auto found = checker.check();
  REQUIRE(found.size() == 1);
  CHECK(found[0] == file_tamper{"bin/vigil-agent", "content changed"});
  REQUIRE(checker.restore("bin/vigil-agent"));
  CHECK(checker.check().empty());
  REQUIRE(::stat(program.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);

  REQUIRE(::chmod(program.c_str(), 04777) == 0);
  CHECK(checker.check() == std::vector<file_tamper>{{"bin/vigil-agent", "mode changed"}});
  REQUIRE(checker.restore("bin/vigil-agent"));
  fs::remove(program);
  CHECK(checker.check() == std::vector<file_tamper>{{"bin/vigil-agent", "deleted"}});
  // The reference copy altered too: nothing is written from it.
  { std::ofstream{pristine_dir(p, "1.2.3") / "bin/vigil-agent", std::ios::app} << "x"; }
  auto refused = checker.restore("bin/vigil-agent");
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == ec::hash_mismatch);
  CHECK_FALSE(fs::exists(program));
  // Another version's copy replaces the list; only it and the one kept remain.
  REQUIRE(keep_pristine_copy(p, "1.2.4", "1.2.3"));
  REQUIRE(keep_pristine_copy(p, "1.2.5", "1.2.4"));
  CHECK_FALSE(fs::exists(pristine_dir(p, "1.2.3")));
  CHECK(fs::exists(pristine_dir(p, "1.2.4")));
  CHECK_FALSE(load_program_manifest(p, "1.2.3"));
}

TEST_CASE("program files: the list setup kept is checked against the signed release metadata; an "
          "altered list is named with both digests") {
  test::temp_dir dir;
  paths p{dir.path()};
  fs::create_directories(p.bin_dir());
  REQUIRE(write_file_atomically(p.bin_dir() / "vigil-agent", "#!/bin/sh\nexit 0\n", 0755));
  REQUIRE(write_file_atomically(p.version_file(), "1.2.3\n", 0644));
  auto kept = keep_pristine_copy(p, "1.2.3", "");
  REQUIRE(kept);
  // The digest does not depend on the order the files were listed in.
  auto reversed = kept->files;
  std::reverse(reversed.begin(), reversed.end());
  CHECK(program_files_digest(reversed) == program_files_digest(kept->files));

  release_metadata meta;
  meta.version = "1.2.3";
  auto unsigned_list = check_against_release(*kept, meta);
  REQUIRE_FALSE(unsigned_list);
  CHECK(code_of(unsigned_list.error()) == ec::not_found);
  meta.files_sha256 = program_files_digest(kept->files);
  CHECK(check_against_release(*kept, meta));
  meta.version = "1.2.4";
  CHECK(code_of(check_against_release(*kept, meta).error()) == ec::not_found);
  meta.version = "1.2.3";

  // Whoever edits files.json (to make a replaced program look installed)
  // changes its digest; so does a mode or a size.
  for (auto alter : std::vector<std::function<void(program_file&)>>{
         [](program_file& f) { f.sha256 = sha256_hex("something else"); },
         [](program_file& f) { f.mode = 04755; },
         [](program_file& f) { f.size += 1; },
       }) {
    auto altered = *kept;
    alter(altered.files[0]);
    auto refused = check_against_release(altered, meta);
    REQUIRE_FALSE(refused);
    CHECK(code_of(refused.error()) == ec::hash_mismatch);
    CHECK(render(refused.error()).find(meta.files_sha256) != std::string::npos);
  }
  auto one_more = *kept;
  one_more.files.push_back({"bin/extra", sha256_hex("x"), 1, 0755});
  CHECK(code_of(check_against_release(one_more, meta).error()) == ec::hash_mismatch);
}
