// common/text: parsing stored numbers without exceptions.

#include "common/text.hpp"

#include <doctest/doctest.h>

using namespace vigil;

TEST_CASE("parse_int64: whole decimal numbers only, never a throw") {
  CHECK(parse_int64("1796517867") == 1796517867);
  CHECK(parse_int64("-5") == -5);
  CHECK_FALSE(parse_int64(""));
  CHECK_FALSE(parse_int64("garbage"));
  CHECK_FALSE(parse_int64("12garbage")); // std::stoll would say 12
  CHECK_FALSE(parse_int64(" 12"));
  CHECK_FALSE(parse_int64("99999999999999999999")); // out of range
}

TEST_CASE("non_empty_lines: one entry a line, empty lines and line feeds dropped") {
  CHECK(non_empty_lines("") == std::vector<std::string>{});
  CHECK(non_empty_lines("\n\n") == std::vector<std::string>{});
  CHECK(non_empty_lines("a\n\nb c\n") == std::vector<std::string>{"a", "b c"});
  CHECK(non_empty_lines("last without a line feed") == std::vector<std::string>{"last without a line feed"});
}
