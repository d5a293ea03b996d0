#include "protocol/delta_codec.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "protocol/body.hpp"
#include "protocol/json_reader.hpp"
#include "protocol/modules.hpp"
#include "protocol/zstd.hpp"

namespace vigil::protocol {

namespace {

// --- encoding --------------------------------------------------------------

/// The length of the valid UTF-8 sequence starting at `s[i]` (a byte >= 0x80),
/// or 0 when it is not one.
size_t utf8_sequence_length(std::string_view s, size_t i) noexcept {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto c = byte(i);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xbf; // range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0)
      lo = 0xa0;
    else if (c == 0xed)
      hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0)
      lo = 0x90;
    else if (c == 0xf4)
      hi = 0x8f;
  } else {
    return 0;
  }
  if (i + len > s.size() || byte(i + 1) < lo || byte(i + 1) > hi)
    return 0;
  for (size_t k = 2; k < len; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf)
      return 0;
  return len;
}

/// Appends `s` as a JSON string literal.
void append_string(std::string& out, std::string_view s) {
  constexpr char hex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      auto len = utf8_sequence_length(s, i);
      if (len == 0) {
        out += "\xef\xbf\xbd";
        ++i;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0x0f];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

/// Accumulates JSON text and hands it to the compressor in large pieces.
class json_stream {
public:
  explicit json_stream(zstd_compressor& sink) : sink_(sink) {
    text_.reserve(flush_at + 4096);
  }

  std::string& text() { return text_; }

  void maybe_flush() {
    if (text_.size() >= flush_at) {
      sink_.write(text_);
      text_.clear();
    }
  }

  void flush() {
    sink_.write(text_);
    text_.clear();
  }

private:
  static constexpr size_t flush_at = 64 * 1024;
  zstd_compressor& sink_;
  std::string text_;
};

// --- decoding --------------------------------------------------------------

/// Builds a `delta` from the parser's events, checking it as `parse_delta` does.
class delta_sax {
public:
  explicit delta_sax(delta& out) : out_(out) {
  }

  const std::string& error() const {
    return error_;
  }

  bool null() {
    return skipping() || scalar("null");
  }

  bool boolean(bool value) {
    if (skipping())
      return true;
    if (at_ == at::root && field_ == "full") {
      out_.full = value;
      seen_full_ = true;
      return true;
    }
    return scalar("boolean");
  }

  bool number_integer(int64_t value) {
    if (skipping())
      return true;
    if (at_ == at::root && field_ == "seq")
      return fail(".seq", "expected a non-negative integer, got " + std::to_string(value));
    return scalar("integer");
  }

  bool number_unsigned(uint64_t value) {
    if (skipping())
      return true;
    if (at_ == at::root && field_ == "seq") {
      if (value < 1)
        return fail(".seq", "must be at least 1");
      out_.seq = value;
      seen_seq_ = true;
      return true;
    }
    return scalar("integer");
  }

  bool number_float(double, const std::string&) {
    return skipping() || scalar("float");
  }

  bool string(std::string& value) {
    if (skipping())
      return true;
    if (at_ == at::root && field_ == "module") {
      if (!is_module_name(value))
        return fail(".module", "unknown module " + quoted_value(value));
      out_.module = std::move(value);
      seen_module_ = true;
      return true;
    }
    if (at_ == at::upsert && (field_ == "key" || field_ == "value")) {
      if (field_ == "key") {
        if (value.empty())
          return fail(row_path() + ".key", "empty");
        row_.key = std::move(value);
        seen_key_ = true;
      } else {
        row_.value = std::move(value);
        seen_value_ = true;
      }
      return true;
    }
    if (at_ == at::removals) {
      if (value.empty())
        return fail(element_path(), "empty");
      out_.removals.push_back(std::move(value));
      ++index_;
      return true;
    }
    return scalar("string");
  }

  bool binary(nlohmann::json::binary_t&) {
    return skipping() || scalar("binary");
  }

  bool key(std::string& name) {
    if (!skipping())
      field_ = std::move(name);
    return true;
  }

  bool start_object(size_t) {
    if (skipping())
      return nest();
    switch (at_) {
      case at::top: at_ = at::root; return true;
      case at::upserts:
        at_ = at::upsert;
        row_ = {};
        seen_key_ = seen_value_ = false;
        field_.clear();
        return true;
      default: return container("object");
    }
  }

  bool start_array(size_t) {
    if (skipping())
      return nest();
    if (at_ == at::root && field_ == "upserts") {
      at_ = at::upserts;
      out_.upserts.clear();
      index_ = 0;
      seen_upserts_ = true;
      return true;
    }
    if (at_ == at::root && field_ == "removals") {
      at_ = at::removals;
      out_.removals.clear();
      index_ = 0;
      seen_removals_ = true;
      return true;
    }
    return container("array");
  }

  bool end_object() {
    if (skipping()) {
      --skip_;
      return true;
    }
    if (at_ == at::upsert) {
      if (!seen_key_)
        return fail(row_path() + ".key", "missing");
      if (!seen_value_)
        return fail(row_path() + ".value", "missing");
      out_.upserts.push_back(std::move(row_));
      ++index_;
      at_ = at::upserts;
      return true;
    }
    // The root object closes.
    at_ = at::done;
    if (!seen_module_)
      return fail(".module", "missing");
    if (!seen_seq_)
      return fail(".seq", "missing");
    if (!seen_full_)
      return fail(".full", "missing");
    if (!seen_upserts_)
      return fail(".upserts", "missing");
    if (!seen_removals_)
      return fail(".removals", "missing");
    if (out_.full && !out_.removals.empty())
      return fail(".removals", "not empty in a full snapshot");
    return true;
  }

  bool end_array() {
    if (skipping()) {
      --skip_;
      return true;
    }
    at_ = at::root;
    return true;
  }

  bool parse_error(size_t, const std::string&, const nlohmann::detail::exception& e) {
    return fail("", std::string{"not JSON: "} + e.what());
  }

private:
  enum class at { top, root, upserts, upsert, removals, done };

  /// What each known field of the root must be.
  static std::string_view expected_of(std::string_view field) {
    if (field == "module")
      return "a string";
    if (field == "seq")
      return "a non-negative integer";
    if (field == "full")
      return "a boolean";
    if (field == "upserts")
      return "an array";
    if (field == "removals")
      return "an array of strings";
    return {};
  }

  bool skipping() const {
    return skip_ > 0;
  }

  /// Enters one more level of an ignored value.
  bool nest() {
    if (++skip_ > max_json_depth)
      return fail("", "nested deeper than " + std::to_string(max_json_depth) + " levels");
    return true;
  }

  std::string row_path() const {
    return ".upserts[" + std::to_string(index_) + "]";
  }

  std::string element_path() const {
    return (at_ == at::upserts ? ".upserts[" : ".removals[") + std::to_string(index_) + "]";
  }

  /// A value of `kind` where the schema wants something else, or an ignored one.
  bool mismatch(std::string_view kind, bool is_container) {
    switch (at_) {
      case at::top: return fail("", "expected an object, got " + std::string{kind});
      case at::root: {
        auto expected = expected_of(field_);
        if (expected.empty())
          return is_container ? nest() : true;
        return fail("." + field_, "expected " + std::string{expected} + ", got "
                                    + std::string{kind});
      }
      case at::upserts:
        return fail(element_path(), "expected an object, got " + std::string{kind});
      case at::upsert:
        if (field_ == "key" || field_ == "value")
          return fail(row_path() + "." + field_, "expected a string, got " + std::string{kind});
        return is_container ? nest() : true;
      case at::removals:
        return fail(element_path(), "expected a string, got " + std::string{kind});
      case at::done: return fail("", "unexpected value after the document");
    }
    return false;
  }

  bool scalar(std::string_view kind) {
    return mismatch(kind, false);
  }

  bool container(std::string_view kind) {
    return mismatch(kind, true);
  }

  bool fail(std::string_view path, std::string what) {
    if (error_.empty()) {
      error_ = "delta";
      error_ += path;
      error_ += ": ";
      error_ += what;
    }
    return false;
  }

  delta& out_;
  at at_ = at::top;
  std::string field_;
  size_t skip_ = 0;
  size_t index_ = 0;
  delta_row row_;
  bool seen_module_ = false;
  bool seen_seq_ = false;
  bool seen_full_ = false;
  bool seen_upserts_ = false;
  bool seen_removals_ = false;
  bool seen_key_ = false;
  bool seen_value_ = false;
  std::string error_;
};

} // namespace

std::string encode_delta(const delta& d) {
  zstd_compressor compressor;
  json_stream stream{compressor};
  auto& text = stream.text();
  text += "{\"module\":";
  append_string(text, d.module);
  text += ",\"seq\":";
  text += std::to_string(d.seq);
  text += d.full ? ",\"full\":true" : ",\"full\":false";
  text += ",\"upserts\":[";
  for (size_t i = 0; i < d.upserts.size(); ++i) {
    text += i == 0 ? "{\"key\":" : ",{\"key\":";
    append_string(text, d.upserts[i].key);
    text += ",\"value\":";
    append_string(text, d.upserts[i].value);
    text += '}';
    stream.maybe_flush();
  }
  text += "],\"removals\":[";
  for (size_t i = 0; i < d.removals.size(); ++i) {
    if (i > 0)
      text += ',';
    append_string(text, d.removals[i]);
    stream.maybe_flush();
  }
  text += "]}";
  stream.flush();
  return compressor.finish();
}

caf::expected<delta> parse_delta_text(std::string_view text) {
  delta out;
  delta_sax handler{out};
  bool parsed = false;
  try {
    parsed = nlohmann::json::sax_parse(text, &handler);
  } catch (const nlohmann::json::exception& e) {
    return make_error(ec::protocol_error, std::string{"delta: not JSON: "} + e.what());
  }
  if (!parsed)
    return make_error(ec::protocol_error,
                      handler.error().empty() ? std::string{"delta: not JSON"} : handler.error());
  return out;
}

caf::expected<delta> decode_delta(std::string_view bytes, size_t max_decompressed) {
  auto text = zstd_decompress(bytes, max_decompressed, "delta");
  if (!text)
    return std::move(text.error());
  return parse_delta_text(*text);
}

} // namespace vigil::protocol
