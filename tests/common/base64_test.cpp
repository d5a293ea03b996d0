#include "common/base64.hpp"

#include <doctest/doctest.h>

TEST_CASE("base64: encodes with padding and decodes back (RFC 4648 vectors)") {
  const std::pair<std::string, std::string> vectors[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [bytes, text] : vectors) {
    CAPTURE(bytes);
    CHECK(vigil::base64_encode(bytes) == text);
    auto decoded = vigil::base64_decode(text);
    REQUIRE(decoded);
    CHECK(*decoded == bytes);
  }
  std::string binary{"\0\xff\x10 \x80", 5};
  CHECK(vigil::base64_decode(vigil::base64_encode(binary)) == binary);
}

TEST_CASE("base64: only the canonical spelling is accepted") {
  for (std::string_view bad : {"Zg", "Zg=", "Zm9", "Zh==",       // length, unused bits set
                               "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v====", // whitespace, extra padding
                               "Z===", "=Zm9", "Zg==Zm9v", "Zm9*", "Zm-v"}) {
    CAPTURE(bad);
    CHECK_FALSE(vigil::base64_decode(bad));
  }
}
