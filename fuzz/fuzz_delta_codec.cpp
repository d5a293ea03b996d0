// Fuzz target: the delta codec. The input is tried as wire bytes
// (decode_delta with a small cap), as delta JSON text (parse_delta_text), and
// as that text compressed (decode_delta over a valid zstd frame, so the
// streaming JSON reader and the size cap see fuzzed documents).
// Properties: no crash; output never passes the cap; the streaming reader
// agrees with parse_delta on a JSON tree; a decoded delta encodes to bytes that
// decode to the same delta.

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.hpp"
#include "protocol/delta.hpp"
#include "protocol/delta_codec.hpp"
#include "protocol/zstd.hpp"

namespace {

using namespace vigil::protocol;
namespace fuzz = vigil::fuzz;

/// Small, so the cap is reached often; the fuzzer's inputs are a few KiB.
constexpr size_t max_decompressed = 4096;

void check_round_trip(const delta& d) {
  auto again = decode_delta(encode_delta(d), 1 << 20);
  fuzz::check(again && *again == d, "an encoded delta decodes to the same delta");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes = fuzz::as_text(data, size);
  if (auto wire = decode_delta(bytes, max_decompressed))
    check_round_trip(*wire);
  if (auto plain = zstd_decompress(bytes, max_decompressed))
    fuzz::check(plain->size() <= max_decompressed, "zstd_decompress keeps to its cap");

  auto text = decode_delta(zstd_compress(bytes), max_decompressed);
  if (bytes.size() > max_decompressed)
    fuzz::check(!text, "decode_delta refuses what decompresses past the cap");
  auto streamed = parse_delta_text(bytes);
  fuzz::check(static_cast<bool>(text) == static_cast<bool>(streamed)
                || bytes.size() > max_decompressed,
              "decode_delta and parse_delta_text agree");
  if (streamed)
    check_round_trip(*streamed);

  auto json = nlohmann::json::parse(bytes, nullptr, false);
  if (!json.is_discarded()) {
    auto tree = parse_delta(json);
    if (tree && streamed)
      fuzz::check(*tree == *streamed, "parse_delta_text and parse_delta agree");
  }
  return 0;
}
