#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

namespace vigil::protocol {

/// The largest JSON body `parse_body` accepts (8 MiB). Manifests and profiles are
/// far smaller; deltas travel as zstd chunks, not JSON bodies.
inline constexpr size_t max_json_body_bytes = 8 * 1024 * 1024;

/// The deepest nesting of arrays and objects `parse_body` accepts. Messages nest
/// a few levels; the limit keeps hostile input from exhausting the stack of
/// recursive JSON code (serialization, comparison).
inline constexpr size_t max_json_depth = 64;

/// Describes a top-level message `T` for `parse_body`, `from_json` and
/// `to_body`: `name` (as errors spell it), `parse(json)` and `body(msg)`. Each
/// message header specializes it.
template <class T>
struct message_traits;

/// Parses `text` as one JSON document and hands it to `f`, returning `f`'s error.
/// Text that is empty, larger than `max_json_body_bytes`, nested deeper than
/// `max_json_depth` or not JSON gives an `ec::protocol_error` whose context
/// starts with `name` ("profile: not JSON: ..."). Never throws: JSON library
/// exceptions escaping `f` become protocol errors too.
caf::error parse_json_text(std::string_view text, std::string_view name,
                           const std::function<caf::error(const nlohmann::json&)>& f);

/// Compact JSON text of `value`. Strings that are not valid UTF-8 have each bad
/// byte replaced by U+FFFD (JSON cannot carry them); never throws for that.
std::string dump_json(const nlohmann::json& value);

/// The message `T` read from a JSON document (see the message's `parse_*`).
template <class T>
caf::expected<T> from_json(const nlohmann::json& value) {
  return message_traits<T>::parse(value);
}

/// The message `T` read from a request or response body: the errors of
/// `parse_json_text`, then those of the message's parser.
template <class T>
caf::expected<T> parse_body(std::string_view body) {
  std::optional<T> value;
  auto err = parse_json_text(body, message_traits<T>::name,
                             [&](const nlohmann::json& json) -> caf::error {
                               auto parsed = message_traits<T>::parse(json);
                               if (!parsed)
                                 return std::move(parsed.error());
                               value.emplace(std::move(*parsed));
                               return caf::error{};
                             });
  if (err)
    return err;
  return caf::expected<T>{std::move(*value)};
}

/// The body carrying `msg`: `dump_json(to_json(msg))`.
template <class T>
std::string to_body(const T& msg) {
  return message_traits<T>::body(msg);
}

} // namespace vigil::protocol
