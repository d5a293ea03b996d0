#include "protocol/guid.hpp"

#include <doctest/doctest.h>

#include "protocol/modules.hpp"
#include "protocol/sha256.hpp"
#include "protocol/version.hpp"

using namespace vigil::protocol;

TEST_CASE("is_guid: braces, 8-4-4-4-12 hex digits, any case") {
  CHECK(is_guid("{6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C}"));
  CHECK(is_guid("{6f2d1a4b-0c3e-4f5a-9b8c-7d6e5f4a3b2c}"));
  CHECK(is_guid("{6f2D1a4B-0C3e-4F5a-9b8C-7d6E5f4A3b2C}"));
  CHECK_FALSE(is_guid(""));
  CHECK_FALSE(is_guid("6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C"));
  CHECK_FALSE(is_guid("{6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C"));
  CHECK_FALSE(is_guid("{6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C}x"));
  CHECK_FALSE(is_guid(" {6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C}"));
  CHECK_FALSE(is_guid("{6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2G}"));
  CHECK_FALSE(is_guid("{6F2D1A4B0-C3E-4F5A-9B8C-7D6E5F4A3B2C}"));
  CHECK_FALSE(is_guid("(6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C)"));
}

TEST_CASE("guid_equal ignores case and refuses invalid text") {
  CHECK(guid_equal("{6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C}",
                   "{6f2d1a4b-0c3e-4f5a-9b8c-7d6e5f4a3b2c}"));
  CHECK_FALSE(guid_equal("{6F2D1A4B-0C3E-4F5A-9B8C-7D6E5F4A3B2C}",
                         "{6f2d1a4b-0c3e-4f5a-9b8c-7d6e5f4a3b2d}"));
  CHECK_FALSE(guid_equal("x", "x"));
}

TEST_CASE("module names: the list, scan modules and case folding") {
  CHECK(module_names.size() == 8);
  for (auto name : module_names)
    CHECK(is_module_name(name));
  for (auto name : {"Inventory", "Vulnerability", "PolicyCompliance", "UDC", "SCA"})
    CHECK(is_scan_module(name));
  for (auto name : {"FIM", "EDR", "PM"}) {
    CHECK(is_module_name(name));
    CHECK_FALSE(is_scan_module(name));
  }
  CHECK_FALSE(is_module_name("inventory"));
  CHECK_FALSE(is_module_name(""));
  CHECK_FALSE(is_module_name("Patch"));
  CHECK(canonical_module_name("policycompliance") == "PolicyCompliance");
  CHECK(canonical_module_name("udc") == "UDC");
  CHECK_FALSE(canonical_module_name("nope"));
}

TEST_CASE("protocol version header") {
  CHECK(protocol_version == 1);
  CHECK(is_supported_protocol("1"));
  CHECK(is_supported_protocol(" 1 "));
  CHECK_FALSE(is_supported_protocol("2"));
  CHECK_FALSE(is_supported_protocol(""));
  CHECK_FALSE(is_supported_protocol("1.0"));
}

TEST_CASE("sha256_hex: known vectors") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("sha256_hasher: pieces hash like the whole, and it restarts after finish") {
  std::string data;
  for (int i = 0; i < 10000; ++i)
    data += static_cast<char>(i * 7);
  sha256_hasher hasher;
  for (size_t pos = 0; pos < data.size(); pos += 333)
    hasher.update(std::string_view{data}.substr(pos, 333));
  CHECK(hasher.finish_hex() == sha256_hex(data));
  hasher.update("abc");
  CHECK(hasher.finish_hex() == sha256_hex("abc"));
}

TEST_CASE("is_sha256_hex: 64 lowercase hex digits only") {
  CHECK(is_sha256_hex(sha256_hex("x")));
  CHECK_FALSE(is_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  CHECK_FALSE(is_sha256_hex(sha256_hex("x").substr(1)));
  CHECK_FALSE(is_sha256_hex(sha256_hex("x") + "0"));
  std::string not_hex(64, 'a');
  not_hex[63] = 'g';
  CHECK_FALSE(is_sha256_hex(not_hex));
}
