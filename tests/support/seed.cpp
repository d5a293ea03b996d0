#include "tests/support/seed.hpp"

#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

namespace vigil::test {

uint64_t test_seed(std::string_view what) {
  const char* forced = std::getenv(seed_variable);
  if (forced == nullptr || *forced == '\0') {
    auto seed = uint64_t{std::random_device{}()};
    auto note = std::string{what} + " seed " + std::to_string(seed) + " (" + seed_variable + "="
                + std::to_string(seed) + " replays it)";
    MESSAGE(note);
    return seed;
  }
  std::string text{forced};
  if (text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(std::string{seed_variable} + " is not a decimal number: \"" + text
                                + "\"");
  auto seed = uint64_t{std::stoull(text)};
  auto note = std::string{what} + " seed " + std::to_string(seed) + " (from " + seed_variable + ")";
  MESSAGE(note);
  return seed;
}

} // namespace vigil::test
