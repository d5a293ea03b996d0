#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

namespace vigil::protocol {

/// The kind of a JSON value as errors name it: "null", "boolean", "integer",
/// "float", "string", "array", "object" (or "binary", "discarded").
std::string_view kind_of(const nlohmann::json& value) noexcept;

/// `text` in double quotes for an error message, cut to 64 bytes (with "...")
/// and with control characters, quotes and backslashes escaped, so a hostile
/// value cannot forge log lines.
std::string quoted_value(std::string_view text);

/// Typed, exception-free access to the fields of one JSON object, recording the
/// first problem as an `ec::protocol_error` whose context names the path to the
/// field and what is wrong with it: `profile.modules[2].cpu_limit: expected an
/// integer, got string`, `provision_request.host_id: missing`.
///
/// A reader over a value that is not an object records `<path>: expected an
/// object, got <kind>`. Every read after the first error does nothing and
/// returns false, so a parser can read all fields unconditionally and check
/// `error()` once. Fields the parser does not ask for are ignored (forward
/// compatibility). "Absent" means the member is missing or null: a required read
/// of an absent field records `missing` (or the type error for null), an
/// optional read leaves its output untouched.
class json_reader {
public:
  /// A reader over `value`, naming it `path` in errors ("provision_request").
  /// `value` must outlive the reader.
  json_reader(const nlohmann::json& value, std::string path);

  json_reader(const json_reader&) = delete;
  json_reader& operator=(const json_reader&) = delete;

  /// The path this reader names in its errors.
  const std::string& path() const noexcept { return path_; }

  /// The path of `field` within this object: "<path>.<field>".
  std::string path_of(std::string_view field) const;

  /// Whether no error has been recorded (by this reader or one nested in it).
  bool ok() const noexcept { return !*sink_; }

  /// The first recorded error, or a default (no) error.
  const caf::error& error() const noexcept { return *sink_; }

  /// `value` when no error was recorded, else the error.
  template <class T>
  caf::expected<T> result(T value) const {
    if (!ok())
      return error();
    return caf::expected<T>{std::move(value)};
  }

  /// Records `<path>.<field>: <what>` unless an error is recorded already.
  void fail(std::string_view field, std::string_view what);

  /// Records `<path>: <what>` unless an error is recorded already.
  void fail(std::string_view what);

  /// Records `<path>.<field>: <what>` when `condition` is false; returns
  /// `condition`.
  bool check(bool condition, std::string_view field, std::string_view what);

  /// The member `field`, or null when this is not an object or it is missing.
  /// Null members are returned (they are values) — use `has` to test absence.
  const nlohmann::json* find(std::string_view field) const noexcept;

  /// Whether `field` is present and not null.
  bool has(std::string_view field) const noexcept;

  /// Required fields: store the member into `out` and return true, or record
  /// `missing` / `expected <type>, got <kind>` and return false. Integers must be
  /// JSON integers (not floats) within the range of `out`'s type; unsigned reads
  /// reject negative numbers.
  bool required(std::string_view field, std::string& out);
  bool required(std::string_view field, bool& out);                     ///< see above
  bool required(std::string_view field, int& out);                      ///< see above
  bool required(std::string_view field, int64_t& out);                  ///< see above
  bool required(std::string_view field, uint64_t& out);                 ///< see above
  bool required(std::string_view field, std::vector<std::string>& out); ///< array of strings

  /// Optional fields: an absent field leaves `out` unchanged and returns false; a
  /// present field is read exactly as `required` reads it.
  bool optional(std::string_view field, std::string& out);
  bool optional(std::string_view field, bool& out);                  ///< see above
  bool optional(std::string_view field, int& out);                   ///< see above
  bool optional(std::string_view field, int64_t& out);               ///< see above
  bool optional(std::string_view field, uint64_t& out);              ///< see above
  bool optional(std::string_view field, std::optional<std::string>& out); ///< sets `out`
  bool optional(std::string_view field, std::optional<bool>& out);        ///< sets `out`
  bool optional(std::string_view field, std::optional<uint64_t>& out);    ///< sets `out`

  /// A required string that must be a GUID (`is_guid`), else `not a GUID: "..."`.
  bool guid(std::string_view field, std::string& out);

  /// A required string that must be a module name (`is_module_name`), else
  /// `unknown module "..."`.
  bool module(std::string_view field, std::string& out);

  /// A required string that must not be empty, else `empty`.
  bool non_empty(std::string_view field, std::string& out);

  /// A required nested object: calls `f` with a reader over it (path
  /// `<path>.<field>`) whose errors become this reader's.
  bool object(std::string_view field, const std::function<void(json_reader&)>& f);

  /// A required array of objects: calls `f` with a reader over each element
  /// (path `<path>.<field>[<i>]`) and its index, in order, stopping at the first
  /// error.
  bool objects(std::string_view field, const std::function<void(json_reader&, size_t)>& f);

  /// A required array of objects, each parsed into a `T` by `parse_one(reader,
  /// item)`; `out` receives the elements in order (it is cleared first).
  template <class T, class F>
  bool objects(std::string_view field, std::vector<T>& out, F&& parse_one) {
    out.clear();
    return objects(field, [&](json_reader& element, size_t) {
      T item{};
      parse_one(element, item);
      if (element.ok())
        out.push_back(std::move(item));
    });
  }

private:
  json_reader(const nlohmann::json& value, std::string path, caf::error& sink);

  /// The member for a required read, or null after recording `missing`.
  const nlohmann::json* require(std::string_view field);

  /// Whether `value` is a present, non-null optional member.
  const nlohmann::json* present(std::string_view field) const noexcept;

  bool read_string(std::string_view field, const nlohmann::json& value, std::string& out);
  bool read_bool(std::string_view field, const nlohmann::json& value, bool& out);
  bool read_int(std::string_view field, const nlohmann::json& value, int64_t min, int64_t max,
                int64_t& out);
  bool read_uint(std::string_view field, const nlohmann::json& value, uint64_t& out);
  bool read_strings(std::string_view field, const nlohmann::json& value,
                    std::vector<std::string>& out);
  void mistyped(std::string_view field, std::string_view expected, const nlohmann::json& got);

  const nlohmann::json* value_;
  std::string path_;
  caf::error own_;
  caf::error* sink_;
};

} // namespace vigil::protocol
