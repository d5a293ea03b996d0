#include "host/secret_box.hpp"

#include <cctype>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "common/error.hpp"
#include "common/redact.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

constexpr std::string_view purpose = "proxy-password";

/// A test root with a machine-id, as on a real host.
struct host_root {
  test::temp_dir dir;
  paths p{dir.path()};
  host_root() { test::write_file(p.machine_id_file(), "0123456789abcdef0123456789abcdef\n"); }
  std::filesystem::path key_file() const { return secret_box::host_key_file(p); }
};

unsigned mode_of(const std::filesystem::path& file) {
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

secret_box open_box(const paths& p) {
  auto box = secret_box::open(p);
  REQUIRE_MESSAGE(box, render(box.error()));
  return std::move(*box);
}

} // namespace

TEST_CASE("secret_box: round trip, random nonce, ASCII v1 format") {
  host_root root;
  auto box = open_box(root.p);
  const std::string secret = "Pw-roundtrip-7f3a \"quoted\" \\ ünïcode";
  auto sealed = box.seal(secret, purpose);
  REQUIRE(sealed);
  CHECK(sealed->starts_with("v1:"));
  CHECK(sealed->find(secret) == std::string::npos);
  for (char c : *sealed)
    CHECK((std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='
           || c == ':'));
  auto opened = box.open_sealed(*sealed, purpose);
  REQUIRE(opened);
  CHECK(*opened == secret);
  auto again = box.seal(secret, purpose);
  REQUIRE(again);
  CHECK(*again != *sealed);
  CHECK(*box.open_sealed(*again, purpose) == secret);
  // The secret is registered: no log line can carry it.
  CHECK(redact("password is " + secret) == "password is ***");
  // The empty secret round-trips too.
  auto empty = box.seal("", purpose);
  REQUIRE(empty);
  CHECK(*box.open_sealed(*empty, purpose) == "");
}

TEST_CASE("secret_box: the purpose is authenticated") {
  host_root root;
  auto box = open_box(root.p);
  const std::string secret = "Pw-purpose-91c2";
  auto sealed = box.seal(secret, purpose);
  REQUIRE(sealed);
  auto wrong = box.open_sealed(*sealed, "agent-token");
  REQUIRE(!wrong);
  CHECK(code_of(wrong.error()) == ec::corruption);
  CHECK(render(wrong.error()).find(secret) == std::string::npos);
  CHECK(code_of(box.seal(secret, "").error()) == ec::invalid_argument);
  CHECK(code_of(box.open_sealed(*sealed, "").error()) == ec::invalid_argument);
}

TEST_CASE("secret_box: flipping any byte of the sealed text fails") {
  host_root root;
  auto box = open_box(root.p);
  const std::string secret = "Pw-flip-5d0e";
  auto sealed = box.seal(secret, purpose);
  REQUIRE(sealed);
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (unsigned char flip : {0x01, 0x20, 0x80}) {
      auto bad = *sealed;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      auto opened = box.open_sealed(bad, purpose);
      CAPTURE(i);
      CAPTURE(static_cast<int>(flip));
      REQUIRE(!opened);
      auto code = code_of(opened.error());
      CHECK((code == ec::parse_error || code == ec::corruption));
      CHECK(render(opened.error()).find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("secret_box: malformed input is a named error") {
  host_root root;
  auto box = open_box(root.p);
  const std::string secret = "Pw-malformed-44b8";
  auto sealed = box.seal(secret, purpose);
  REQUIRE(sealed);
  auto body = sealed->substr(3);
  std::vector<std::string> inputs = {
    "",
    "v1:",
    "v1",
    "v2:" + body,
    "V1:" + body,
    "v1:" + body + "AAAA",
    "v1:" + body.substr(0, body.size() - 4),
    "v1:" + body.substr(0, body.size() - 1),
    "v1:" + body.substr(0, 20),
    "v1: " + body,
    "v1:" + body + "\n",
    "v1:!!!!",
    "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
    secret,
    std::string(1000, 'x'),
    "v1:" + std::string(200000, 'A'),
  };
  for (auto& input : inputs) {
    CAPTURE(input.substr(0, 60));
    auto opened = box.open_sealed(input, purpose);
    REQUIRE(!opened);
    auto code = code_of(opened.error());
    CHECK((code == ec::parse_error || code == ec::corruption || code == ec::too_large));
    CHECK(!context_of(opened.error()).empty());
    CHECK(render(opened.error()).find(secret) == std::string::npos);
  }
  CHECK(context_of(box.open_sealed("v2:" + body, purpose).error()).find("version")
        != std::string::npos);
}

TEST_CASE("secret_box: the key file is created 0600 and reused") {
  host_root root;
  REQUIRE(!std::filesystem::exists(root.key_file()));
  CHECK(root.key_file() == root.p.hive_file().parent_path() / "host.key");
  const std::string secret = "Pw-reuse-a1b2";
  std::string sealed;
  {
    auto box = open_box(root.p);
    REQUIRE(std::filesystem::file_size(root.key_file()) == 32);
    CHECK(mode_of(root.key_file()) == 0600);
    sealed = *box.seal(secret, purpose);
  }
  auto key_bytes = test::read_file(root.key_file());
  auto second = open_box(root.p);
  CHECK(test::read_file(root.key_file()) == key_bytes);
  auto opened = second.open_sealed(sealed, purpose);
  REQUIRE(opened);
  CHECK(*opened == secret);
  // No temporary file is left beside the key.
  size_t entries = 0;
  for (auto& e : std::filesystem::directory_iterator(root.key_file().parent_path()))
    entries += e.path().filename().string().starts_with("host.key") ? 1 : 0;
  CHECK(entries == 1);
}

TEST_CASE("secret_box: processes racing on first use end with one key") {
  host_root root;
  const std::string secret = "Pw-race-3c3c";
  constexpr int children = 8;
  std::vector<pid_t> pids;
  for (int i = 0; i < children; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto box = secret_box::open(root.p);
      if (!box)
        ::_exit(1);
      auto sealed = box->seal(secret, purpose);
      if (!sealed)
        ::_exit(2);
      test::write_file(root.dir / ("sealed." + std::to_string(i)), *sealed);
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  for (auto pid : pids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto box = open_box(root.p);
  for (int i = 0; i < children; ++i) {
    auto opened = box.open_sealed(test::read_file(root.dir / ("sealed." + std::to_string(i))),
                                  purpose);
    REQUIRE_MESSAGE(opened, render(opened.error()));
    CHECK(*opened == secret);
  }
}

TEST_CASE("secret_box: another machine-id cannot decrypt") {
  host_root root;
  const std::string secret = "Pw-clone-77e1";
  auto sealed = *open_box(root.p).seal(secret, purpose);
  // Trailing whitespace of the machine-id does not matter.
  test::write_file(root.p.machine_id_file(), "0123456789abcdef0123456789abcdef");
  CHECK(*open_box(root.p).open_sealed(sealed, purpose) == secret);
  // A clone with a new machine-id (and one with none) cannot.
  for (std::string id : {"fedcba9876543210fedcba9876543210\n", ""}) {
    if (id.empty())
      std::filesystem::remove(root.p.machine_id_file());
    else
      test::write_file(root.p.machine_id_file(), id);
    auto opened = open_box(root.p).open_sealed(sealed, purpose);
    REQUIRE(!opened);
    CHECK(code_of(opened.error()) == ec::corruption);
    CHECK(context_of(opened.error()).find("encrypted on another machine or the key changed")
          != std::string::npos);
    CHECK(render(opened.error()).find(secret) == std::string::npos);
  }
}

TEST_CASE("secret_box: a replaced key cannot decrypt") {
  host_root root;
  auto sealed = *open_box(root.p).seal("Pw-rekey-0d0d", purpose);
  std::filesystem::remove(root.key_file());
  auto opened = open_box(root.p).open_sealed(sealed, purpose);
  REQUIRE(!opened);
  CHECK(code_of(opened.error()) == ec::corruption);
}

TEST_CASE("secret_box: a loose key file is tightened to 0600 when we own it") {
  host_root root;
  const std::string secret = "Pw-mode-6e6e";
  auto sealed = *open_box(root.p).seal(secret, purpose);
  REQUIRE(::chmod(root.key_file().c_str(), 0644) == 0);
  auto box = open_box(root.p);
  CHECK(mode_of(root.key_file()) == 0600);
  CHECK(*box.open_sealed(sealed, purpose) == secret);
}

TEST_CASE("secret_box: a key file we cannot trust is refused") {
  host_root root;
  open_box(root.p);
  SUBCASE("wrong size") {
    test::write_file(root.key_file(), "short");
    auto box = secret_box::open(root.p);
    REQUIRE(!box);
    CHECK(code_of(box.error()) == ec::corruption);
  }
  SUBCASE("a symbolic link") {
    auto real = root.dir / "elsewhere.key";
    std::filesystem::rename(root.key_file(), real);
    std::filesystem::create_symlink(real, root.key_file());
    auto box = secret_box::open(root.p);
    REQUIRE(!box);
    CHECK(code_of(box.error()) == ec::permission_denied);
  }
  SUBCASE("owned by another user") {
    if (::geteuid() != 0)
      return; // only root can give a file away
    REQUIRE(::chown(root.key_file().c_str(), 65534, 65534) == 0);
    auto box = secret_box::open(root.p);
    REQUIRE(!box);
    CHECK(code_of(box.error()) == ec::permission_denied);
    CHECK(context_of(box.error()).find("owned by uid 65534") != std::string::npos);
  }
}
