#include "common/error.hpp"

#include <cerrno>

#include <doctest/doctest.h>

using vigil::ec;

TEST_CASE("error: render names the code and the context") {
  CHECK(vigil::render(vigil::make_error(ec::parse_error, "registry.reg:3: bad value")) ==
        "parse_error: registry.reg:3: bad value");
  CHECK(vigil::render(vigil::make_error(ec::timeout)) == "timeout");
  CHECK(vigil::render(caf::error{}) == "no error");
}

TEST_CASE("error: code_of and context_of read back what make_error stored") {
  auto err = vigil::make_error(ec::not_found, "HostID");
  CHECK(vigil::code_of(err) == ec::not_found);
  CHECK(vigil::context_of(err) == "HostID");
  CHECK(vigil::context_of(vigil::make_error(ec::busy)).empty());
  CHECK(static_cast<int>(vigil::code_of(caf::error{})) == 0);
}

TEST_CASE("error: an error of another category is unspecified and still renders") {
  caf::error foreign{static_cast<uint8_t>(3), caf::atom("other")};
  CHECK(vigil::code_of(foreign) == ec::unspecified);
  CHECK_FALSE(vigil::render(foreign).empty());
}

TEST_CASE("error: make_system_error maps errno to the Vigil code and names the call") {
  CHECK(vigil::code_of(vigil::make_system_error(ENOSPC, "write")) == ec::disk_full);
#ifdef EDQUOT // not in Windows' C runtime (common/error.cpp)
  CHECK(vigil::code_of(vigil::make_system_error(EDQUOT, "write")) == ec::disk_full);
#endif
  CHECK(vigil::code_of(vigil::make_system_error(EACCES, "open")) == ec::permission_denied);
  CHECK(vigil::code_of(vigil::make_system_error(EPERM, "open")) == ec::permission_denied);
  CHECK(vigil::code_of(vigil::make_system_error(EROFS, "open")) == ec::permission_denied);
  CHECK(vigil::code_of(vigil::make_system_error(ENOENT, "stat")) == ec::not_found);
  CHECK(vigil::code_of(vigil::make_system_error(EEXIST, "mkdir")) == ec::already_exists);
  CHECK(vigil::code_of(vigil::make_system_error(EIO, "read")) == ec::io_error);
  auto err = vigil::make_system_error(ENOSPC, "write /var/opt/vigil/x");
  CHECK(vigil::context_of(err).rfind("write /var/opt/vigil/x: ", 0) == 0);
  CHECK(vigil::render(err).rfind("disk_full: write /var/opt/vigil/x: ", 0) == 0);
}

TEST_CASE("error: every code has a distinct name") {
  CHECK(std::string{vigil::to_string(ec::disk_full)} == "disk_full");
  CHECK(std::string{vigil::to_string(ec::permission_denied)} == "permission_denied");
  CHECK(std::string{vigil::to_string(ec::cancelled)} == "cancelled");
  CHECK(std::string{vigil::to_string(static_cast<ec>(200))} == "unknown");
}
