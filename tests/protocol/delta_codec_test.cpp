#include "protocol/delta_codec.hpp"

#include <sys/resource.h>

#include <memory>

#include <zstd.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "protocol/zstd.hpp"
#include "tests/protocol/message_check.hpp"

using namespace vigil;
using namespace vigil::protocol;

namespace {

constexpr size_t cap = 64 * 1024 * 1024;

delta sample_delta() {
  return delta{
    .module = "Inventory",
    .seq = 42,
    .full = false,
    .upserts = {{"packages/openssl", R"({"version":"3.0.11-1~deb12u2","arch":"amd64"})"},
                {"os/name", "Debian GNU/Linux"},
                {"unicode/\xc3\xa9t\xc3\xa9", "\xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad"},
                {"controls", std::string("tab\there\nnew \"q\" \\ \x01\x1f\x7f") + '\0' + "end"},
                {"empty", ""}},
    .removals = {"packages/telnet", "users/guest"},
  };
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

caf::error decode_error(std::string_view bytes, size_t max = cap) {
  auto decoded = decode_delta(bytes, max);
  REQUIRE_FALSE(decoded);
  return decoded.error();
}

caf::error text_error(const std::string& text) {
  auto parsed = parse_delta_text(text);
  REQUIRE_FALSE(parsed);
  CHECK(code_of(parsed.error()) == ec::protocol_error);
  return parsed.error();
}

} // namespace

TEST_CASE("delta: JSON form round trip and field errors") {
  const auto d = sample_delta();
  auto back = parse_delta(to_json(d));
  REQUIRE_MESSAGE(back, render(back.error()));
  CHECK(*back == d);
}

TEST_CASE("delta codec: round trip, and the wire text is the JSON form") {
  for (auto full : {false, true}) {
    auto d = sample_delta();
    d.full = full;
    if (full)
      d.removals.clear();
    auto bytes = encode_delta(d);
    auto decoded = decode_delta(bytes, cap);
    REQUIRE_MESSAGE(decoded, render(decoded.error()));
    CHECK(*decoded == d);
    auto text = zstd_decompress(bytes, cap);
    REQUIRE(text);
    CHECK(nlohmann::json::parse(*text) == to_json(d));
  }
  delta empty{.module = "SCA", .seq = 1, .full = true, .upserts = {}, .removals = {}};
  auto decoded = decode_delta(encode_delta(empty), cap);
  REQUIRE(decoded);
  CHECK(*decoded == empty);
}

TEST_CASE("delta codec: a large delta streams through and compresses") {
  delta d{.module = "Vulnerability", .seq = 9, .full = true, .upserts = {}, .removals = {}};
  size_t raw = 0;
  for (int i = 0; i < 100000; ++i) {
    d.upserts.push_back({"packages/pkg" + std::to_string(i),
                         R"({"version":"1.)" + std::to_string(i % 97) + R"(","arch":"amd64"})"});
    raw += d.upserts.back().key.size() + d.upserts.back().value.size();
  }
  auto bytes = encode_delta(d);
  CHECK(bytes.size() < raw / 4);
  auto decoded = decode_delta(bytes, cap);
  REQUIRE_MESSAGE(decoded, render(decoded.error()));
  CHECK(*decoded == d);
}

TEST_CASE("delta codec: invalid UTF-8 is replaced, never thrown") {
  delta d{.module = "UDC", .seq = 3, .full = false, .upserts = {{"k\xff", "v\xc3"}},
          .removals = {"\xed\xa0\x80"}};
  std::string bytes;
  CHECK_NOTHROW(bytes = encode_delta(d));
  auto decoded = decode_delta(bytes, cap);
  REQUIRE_MESSAGE(decoded, render(decoded.error()));
  CHECK(decoded->upserts[0].key == "k\xef\xbf\xbd");
  CHECK(decoded->upserts[0].value == "v\xef\xbf\xbd");
  CHECK(decoded->removals[0] == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("delta codec: corrupted, truncated and foreign bytes are corruption errors") {
  auto bytes = encode_delta(sample_delta());
  REQUIRE(bytes.size() > 40);
  auto flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x5a;
  CHECK(code_of(decode_error(flipped)) == ec::corruption);
  auto truncated = decode_error(std::string_view{bytes}.substr(0, bytes.size() - 3));
  CHECK(code_of(truncated) == ec::corruption);
  CHECK(context_of(truncated) == "delta: truncated zstd data");
  auto foreign = decode_error("{\"module\": \"Inventory\"}");
  CHECK(code_of(foreign) == ec::corruption);
  CHECK(context_of(foreign).rfind("delta: corrupt zstd data: ", 0) == 0);
  CHECK(code_of(decode_error("")) == ec::corruption);
  CHECK(code_of(decode_error(bytes + "garbage!")) == ec::corruption);
}

TEST_CASE("delta codec: no single corrupted byte yields a different delta") {
  const auto d = sample_delta();
  const auto bytes = encode_delta(d);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      auto damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      caf::expected<delta> decoded{caf::error{}};
      CHECK_NOTHROW(decoded = decode_delta(damaged, cap));
      if (decoded) {
        CAPTURE(i);
        CHECK(*decoded == d);
      }
    }
  }
}

TEST_CASE("delta codec: the decompression cap is exact") {
  auto bytes = encode_delta(sample_delta());
  auto text = zstd_decompress(bytes, cap);
  REQUIRE(text);
  CHECK(decode_delta(bytes, text->size()));
  auto over = decode_error(bytes, text->size() - 1);
  CHECK(code_of(over) == ec::protocol_error);
  CHECK(context_of(over)
        == "delta: too large: decompresses to more than " + std::to_string(text->size() - 1)
             + " bytes");
}

TEST_CASE("delta codec: a decompression bomb is refused without allocating it") {
  // 1 GiB of zeros compresses to a few dozen KiB; decoding it whole would raise
  // the peak RSS by a gibibyte.
  zstd_compressor compressor;
  const std::string zeros(1 << 20, '\0');
  for (int i = 0; i < 1024; ++i)
    compressor.write(zeros);
  auto bomb = compressor.finish();
  CHECK(bomb.size() < 256 * 1024);
  auto before = peak_rss_kib();
  auto err = decode_error(bomb, 16 * 1024 * 1024);
  auto grown_mib = (peak_rss_kib() - before) / 1024;
  CHECK(code_of(err) == ec::protocol_error);
  CHECK(context_of(err).rfind("delta: too large: ", 0) == 0);
  CHECK(grown_mib < 64);
}

TEST_CASE("delta codec: a frame demanding a huge window is refused") {
  // A frame may declare any window up to 2^31 bytes, and a decoder allocates it
  // up front. Streaming without a known size keeps the declared window at 2^27.
  std::string data(1 << 20, 'x');
  auto make_frame = [&](int window_log) {
    std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> ctx{ZSTD_createCCtx(), ZSTD_freeCCtx};
    REQUIRE_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_windowLog, window_log)));
    std::string out(ZSTD_compressBound(data.size()) + 1024, '\0');
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    ZSTD_inBuffer input{data.data(), data.size(), 0};
    REQUIRE_FALSE(ZSTD_isError(ZSTD_compressStream2(ctx.get(), &output, &input, ZSTD_e_continue)));
    ZSTD_inBuffer none{nullptr, 0, 0};
    REQUIRE(ZSTD_compressStream2(ctx.get(), &output, &none, ZSTD_e_end) == 0);
    out.resize(output.pos);
    return out;
  };
  auto accepted = zstd_decompress(make_frame(max_zstd_window_log), data.size());
  REQUIRE_MESSAGE(accepted, render(accepted.error()));
  CHECK(*accepted == data);
  auto refused = zstd_decompress(make_frame(27), data.size());
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == ec::corruption);
  CHECK(context_of(refused.error()).rfind("zstd: corrupt zstd data: ", 0) == 0);
}

TEST_CASE("zstd: output that fills whole blocks decodes completely") {
  // 3 MiB of highly compressible data ends exactly on a 128 KiB output block.
  std::string data(3 << 20, 'x');
  for (size_t i = 0; i < data.size(); i += 4096)
    data[i] = static_cast<char>(i / 4096);
  for (int level : {1, 3, 19}) {
    auto out = zstd_decompress(zstd_compress(data, level), data.size());
    REQUIRE_MESSAGE(out, render(out.error()));
    CHECK(*out == data);
  }
}

TEST_CASE("delta documents: each field missing or mistyped is named") {
  const auto valid = to_json(sample_delta());
  struct bad_case {
    std::function<void(nlohmann::json&)> edit;
    const char* context;
  };
  const std::vector<bad_case> cases{
    {[](auto& j) { j.erase("module"); }, "delta.module: missing"},
    {[](auto& j) { j.erase("seq"); }, "delta.seq: missing"},
    {[](auto& j) { j.erase("full"); }, "delta.full: missing"},
    {[](auto& j) { j.erase("upserts"); }, "delta.upserts: missing"},
    {[](auto& j) { j.erase("removals"); }, "delta.removals: missing"},
    {[](auto& j) { j["upserts"][1].erase("key"); }, "delta.upserts[1].key: missing"},
    {[](auto& j) { j["upserts"][2].erase("value"); }, "delta.upserts[2].value: missing"},
    {[](auto& j) { j["module"] = 1; }, "delta.module: expected a string, got integer"},
    {[](auto& j) { j["module"] = "Nope"; }, "delta.module: unknown module \"Nope\""},
    {[](auto& j) { j["seq"] = "42"; }, "delta.seq: expected a non-negative integer, got string"},
    {[](auto& j) { j["seq"] = -2; }, "delta.seq: expected a non-negative integer, got -2"},
    {[](auto& j) { j["seq"] = 0; }, "delta.seq: must be at least 1"},
    {[](auto& j) { j["seq"] = 4.5; }, "delta.seq: expected a non-negative integer, got float"},
    {[](auto& j) { j["full"] = 1; }, "delta.full: expected a boolean, got integer"},
    {[](auto& j) { j["upserts"] = nlohmann::json::object(); },
     "delta.upserts: expected an array, got object"},
    {[](auto& j) { j["upserts"][3] = "row"; }, "delta.upserts[3]: expected an object, got string"},
    {[](auto& j) { j["upserts"][0]["key"] = nullptr; },
     "delta.upserts[0].key: expected a string, got null"},
    {[](auto& j) { j["upserts"][0]["key"] = ""; }, "delta.upserts[0].key: empty"},
    {[](auto& j) { j["upserts"][4]["value"] = {1}; },
     "delta.upserts[4].value: expected a string, got array"},
    {[](auto& j) { j["removals"] = "x"; }, "delta.removals: expected an array of strings, got string"},
    {[](auto& j) { j["removals"][1] = 5; }, "delta.removals[1]: expected a string, got integer"},
    {[](auto& j) { j["removals"][0] = ""; }, "delta.removals[0]: empty"},
    {[](auto& j) { j["full"] = true; }, "delta.removals: not empty in a full snapshot"},
  };
  for (const auto& c : cases) {
    auto json = valid;
    c.edit(json);
    CAPTURE(json.dump());
    // The streaming decoder and the JSON-tree parser agree on every error.
    CHECK(context_of(text_error(json.dump())) == c.context);
    auto tree = parse_delta(json);
    REQUIRE_FALSE(tree);
    CHECK(context_of(tree.error()) == c.context);
    // And so does the full wire path.
    auto wire = decode_delta(zstd_compress(json.dump()), cap);
    REQUIRE_FALSE(wire);
    CHECK(context_of(wire.error()) == c.context);
  }
}

TEST_CASE("delta documents: unknown fields are skipped, bad JSON is named") {
  auto json = to_json(sample_delta());
  json["x_future"] = {{"deep", {{"deeper", {1, 2, {{"k", "v"}}}}}}};
  json["upserts"][0]["x_meta"] = {{"a", {nullptr, true}}};
  json["zz"] = "tail";
  auto decoded = parse_delta_text(json.dump());
  REQUIRE_MESSAGE(decoded, render(decoded.error()));
  CHECK(*decoded == sample_delta());
  CHECK(parse_delta(json));

  CHECK(context_of(text_error("[1]")) == "delta: expected an object, got array");
  CHECK(context_of(text_error("7")) == "delta: expected an object, got integer");
  CHECK(context_of(text_error("")).rfind("delta: not JSON: ", 0) == 0);
  auto dumped = to_json(sample_delta()).dump();
  CHECK(context_of(text_error(dumped.substr(0, dumped.size() - 2))).rfind("delta: not JSON: ", 0)
        == 0);
  CHECK(context_of(text_error(dumped + "{}")).rfind("delta: not JSON: ", 0) == 0);
  std::string deep = dumped.substr(0, dumped.size() - 1) + ",\"x\":" + std::string(1000, '[')
                     + std::string(1000, ']') + "}";
  CHECK(context_of(text_error(deep)) == "delta: nested deeper than 64 levels");
}

TEST_CASE("zstd patches: a target rebuilt from its patch and the reference, nothing else") {
  std::string reference;
  for (int i = 0; i < 20000; ++i)
    reference += "row " + std::to_string(i * 7919 % 10007) + " of the previous release\n";
  auto target = reference;
  target.replace(100000, 5, "THREE");
  target += "and a new tail";
  auto patch = vigil::protocol::zstd_patch(reference, target, 3);
  CHECK(patch.size() * 50 < target.size()); // only the difference travels
  auto rebuilt = vigil::protocol::zstd_apply_patch(reference, patch, target.size());
  REQUIRE(rebuilt);
  CHECK(*rebuilt == target);
  // Another size than the caller trusts: refused before decoding.
  auto wrong_size = vigil::protocol::zstd_apply_patch(reference, patch, target.size() + 1);
  REQUIRE_FALSE(wrong_size);
  CHECK(vigil::code_of(wrong_size.error()) == vigil::ec::corruption);
  // Another reference: the frame's checksum fails.
  auto other = reference;
  other[50000] ^= 1;
  other[150000] ^= 1;
  auto wrong_reference = vigil::protocol::zstd_apply_patch(other, patch, target.size());
  CHECK((!wrong_reference || *wrong_reference != target));
  // Damaged bytes.
  auto damaged = patch;
  damaged[damaged.size() / 2] ^= 0x55;
  auto broken = vigil::protocol::zstd_apply_patch(reference, damaged, target.size());
  CHECK((!broken || *broken != target));
  CHECK_FALSE(vigil::protocol::zstd_apply_patch(reference, "not zstd", 8));
}
