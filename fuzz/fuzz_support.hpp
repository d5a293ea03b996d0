#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

// Helpers shared by the fuzz targets (header-only: each target is one .cpp).

namespace vigil::fuzz {

/// The fuzzer's input as text (any bytes, including NUL).
inline std::string_view as_text(const uint8_t* data, size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

/// `text` split at '\n' (a trailing '\r' is kept: it is part of the argument).
/// An empty input is no argument; a trailing newline adds no empty argument.
inline std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    auto end = text.find('\n');
    lines.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos)
      break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

/// Aborts (a crash libFuzzer reports, a failure the replay reports) when a
/// property of the parser under test does not hold.
inline void check(bool condition, const char* what) {
  if (condition)
    return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

/// Text the fuzz targets append to secrets (passwords, SPFKEYs and the
/// arguments that may be pieces of them): an error message or log line that
/// contains it leaked a secret, unless the input already contained it.
inline constexpr std::string_view secret_canary = "Zq7SecretCanary";

/// Whether `text` contains `secret_canary`.
inline bool has_canary(std::string_view text) noexcept {
  return text.find(secret_canary) != std::string_view::npos;
}

} // namespace vigil::fuzz
