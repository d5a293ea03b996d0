// Fuzz target: hive files (`.reg` text, UTF-8 or UTF-16LE) via parse_reg and
// parse_hive. Every input is parsed as given and once more widened to
// UTF-16LE with a BOM (each byte one code unit), so the UTF-16 path sees the
// same grammar. Properties: no crash; a parsed hive renders to text that parses
// back to the same keys and values and renders identically (canonical).

#include "fuzz/fuzz_support.hpp"
#include "host/reg_format.hpp"

namespace {

void parse_one(std::string_view bytes) {
  using namespace vigil;
  if (auto statements = parse_reg(bytes, "fuzz.reg")) {
    hive h;
    apply_statements(h, *statements);
  }
  auto parsed = parse_hive(bytes, "fuzz.reg");
  if (!parsed)
    return;
  auto text = render_hive(*parsed);
  auto again = parse_hive(text, "rendered.reg");
  fuzz::check(static_cast<bool>(again), "a rendered hive parses");
  // Keys only implied as parents are not written, so their case may change
  // (keys compare case-insensitively); every written key keeps its values.
  for (const auto* key : parsed->keys()) {
    const auto* other = again->find_key(key->path);
    fuzz::check(other != nullptr, "a rendered hive keeps every key");
    fuzz::check(other->values == key->values, "a rendered hive keeps every value");
  }
  fuzz::check(again->keys().size() == parsed->keys().size(), "a rendered hive adds no key");
  fuzz::check(render_hive(*again) == text, "rendering is canonical");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes = vigil::fuzz::as_text(data, size);
  parse_one(bytes);
  std::string utf16{"\xFF\xFE"};
  utf16.reserve(2 + 2 * bytes.size());
  for (char c : bytes) {
    utf16 += c;
    utf16 += '\0';
  }
  parse_one(utf16);
  return 0;
}
