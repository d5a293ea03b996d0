#include "common/release_metadata.hpp"

#include <charconv>
#include <ctime>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "common/signed_document.hpp"

namespace vigil {

namespace {

using json = nlohmann::json;

/// One part of a version: ASCII digits only, fitting in 32 bits.
bool parse_part(std::string_view text, uint32_t& out) {
  if (text.empty() || text.find_first_not_of("0123456789") != text.npos)
    return false;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), out);
  return err == std::errc{} && end == text.data() + text.size();
}

caf::error bad_field(std::string_view field, std::string_view expected) {
  return make_error(ec::parse_error, "release metadata: \"" + std::string{field} + "\" is "
                                       + std::string{expected});
}

/// The member `field` of `doc` when it is a string, else a parse error naming it.
caf::expected<std::string> string_field(const json& doc, const char* field) {
  auto i = doc.find(field);
  if (i == doc.end())
    return bad_field(field, "missing");
  if (!i->is_string())
    return bad_field(field, "not a string");
  return i->get<std::string>();
}

caf::expected<uint64_t> unsigned_field(const json& doc, const char* field) {
  auto i = doc.find(field);
  if (i == doc.end())
    return bad_field(field, "missing");
  if (!i->is_number_unsigned())
    return bad_field(field, "not an unsigned integer");
  return i->get<uint64_t>();
}

caf::expected<int64_t> time_field(const json& doc, const char* field) {
  auto i = doc.find(field);
  if (i == doc.end())
    return bad_field(field, "missing");
  // nlohmann stores non-negative integers as unsigned: those above INT64_MAX
  // do not fit.
  if (!i->is_number_integer()
      || (i->is_number_unsigned()
          && i->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
    return bad_field(field, "not an integer time (seconds since the epoch)");
  return i->get<int64_t>();
}

bool is_plain_file_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == name.npos
         && name.find('\0') == name.npos;
}

/// `t` as ISO 8601 UTC ("2024-05-01T12:00:00Z"), or the bare number when the
/// calendar cannot hold it.
std::string utc_text(int64_t t) {
  std::time_t time = static_cast<std::time_t>(t);
  std::tm tm{};
  char buffer[64];
  if (gmtime_r(&time, &tm) == nullptr
      || std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return std::to_string(t);
  return buffer;
}

} // namespace

caf::expected<version> version::parse(std::string_view text) {
  version out;
  uint32_t* parts[] = {&out.major_part, &out.minor_part, &out.patch_part};
  std::string_view rest = text;
  for (size_t i = 0; i < 3; ++i) {
    auto dot = rest.find('.');
    bool last = i == 2;
    // The first two parts end at a dot; the last one at the end of the text.
    if (last != (dot == rest.npos) || !parse_part(rest.substr(0, dot), *parts[i]))
      return make_error(ec::parse_error, "version \"" + std::string{text}
                                           + "\" is not X.Y.Z (three 32-bit decimal numbers)");
    rest = last ? std::string_view{} : rest.substr(dot + 1);
  }
  return out;
}

std::string version::to_string() const {
  return std::to_string(major_part) + '.' + std::to_string(minor_part) + '.'
         + std::to_string(patch_part);
}

std::string release_metadata::to_json_text() const {
  json doc = {
    {"type", std::string{release_metadata_type}},
    {"version", version},
    {"sha256", sha256},
    {"size", size},
    {"serial", serial},
    {"issued_at", issued_at},
    {"expires_at", expires_at},
    {"package_name", package_name},
  };
  if (!expanded_sha256.empty()) {
    doc["expanded_sha256"] = expanded_sha256;
    doc["expanded_size"] = expanded_size;
  }
  if (!files_sha256.empty())
    doc["files_sha256"] = files_sha256;
  return doc.dump();
}

caf::expected<release_metadata> release_metadata::parse(std::string_view json_text) {
  auto doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object())
    return make_error(ec::parse_error, "release metadata is not a JSON object");
  auto type = string_field(doc, "type");
  if (!type)
    return type.error();
  if (*type != release_metadata_type)
    return bad_field("type", "not \"release_metadata\"");
  release_metadata out;
  auto read = [&](auto field, const char* name, auto& target) -> caf::error {
    auto value = field(doc, name);
    if (!value)
      return value.error();
    target = std::move(*value);
    return {};
  };
  if (auto err = read(string_field, "version", out.version))
    return err;
  if (!version::parse(out.version))
    return bad_field("version", "not X.Y.Z");
  if (auto err = read(string_field, "sha256", out.sha256))
    return err;
  if (!is_sha256_hex(out.sha256))
    return bad_field("sha256", "not 64 lowercase hex digits");
  if (auto err = read(unsigned_field, "size", out.size))
    return err;
  if (auto err = read(unsigned_field, "serial", out.serial))
    return err;
  if (auto err = read(time_field, "issued_at", out.issued_at))
    return err;
  if (auto err = read(time_field, "expires_at", out.expires_at))
    return err;
  if (auto err = read(string_field, "package_name", out.package_name))
    return err;
  if (!is_plain_file_name(out.package_name))
    return bad_field("package_name", "not a plain file name");
  if (doc.contains("expanded_sha256") || doc.contains("expanded_size")) {
    if (auto err = read(string_field, "expanded_sha256", out.expanded_sha256))
      return err;
    if (!is_sha256_hex(out.expanded_sha256))
      return bad_field("expanded_sha256", "not 64 lowercase hex digits");
    if (auto err = read(unsigned_field, "expanded_size", out.expanded_size))
      return err;
  }
  if (doc.contains("files_sha256")) {
    if (auto err = read(string_field, "files_sha256", out.files_sha256))
      return err;
    if (!is_sha256_hex(out.files_sha256))
      return bad_field("files_sha256", "not 64 lowercase hex digits");
  }
  return out;
}

caf::expected<release_metadata> check_release(std::string_view envelope, const trusted_keys& keys,
                                              const release_checks& checks) {
  auto installed = version::parse(checks.highest_version_installed);
  if (!installed)
    return make_error(ec::invalid_argument,
                      "highest installed version \"" + checks.highest_version_installed
                        + "\" is not X.Y.Z");
  auto payload = open_document(envelope, keys);
  if (!payload)
    return payload.error();
  auto meta = release_metadata::parse(*payload);
  if (!meta)
    return meta.error();
  if (meta->serial < checks.highest_serial_seen)
    return make_error(ec::replayed_metadata,
                      "release metadata serial " + std::to_string(meta->serial)
                        + " is older than serial " + std::to_string(checks.highest_serial_seen)
                        + " already seen");
  // parse() accepted the version, so this cannot fail.
  auto offered = version::parse(meta->version);
  if (*offered < *installed)
    return make_error(ec::downgrade_refused,
                      "release " + meta->version + " is lower than version "
                        + installed->to_string() + " already installed");
  if (checks.now > meta->expires_at)
    return make_error(ec::metadata_expired,
                      "release metadata for " + meta->version + " (serial "
                        + std::to_string(meta->serial) + ") expired at "
                        + utc_text(meta->expires_at) + " (" + std::to_string(meta->expires_at)
                        + "); now is " + utc_text(checks.now));
  return meta;
}

caf::expected<void> check_package_bytes(const release_metadata& meta,
                                        std::string_view sha256_hex_of_content,
                                        uint64_t content_size) {
  if (content_size > meta.size)
    return make_error(ec::size_exceeded,
                      "package " + meta.package_name + " has " + std::to_string(content_size)
                        + " bytes, more than the " + std::to_string(meta.size) + " signed");
  if (sha256_hex_of_content != meta.sha256)
    return make_error(ec::hash_mismatch, "package " + meta.package_name + " has SHA-256 "
                                           + std::string{sha256_hex_of_content}
                                           + ", not the signed " + meta.sha256);
  return {};
}

caf::expected<void> check_expanded_package_bytes(const release_metadata& meta,
                                                 std::string_view sha256_hex_of_content,
                                                 uint64_t content_size) {
  if (meta.expanded_sha256.empty())
    return make_error(ec::hash_mismatch, "the metadata of " + meta.version
                                           + " signs no expanded package");
  if (content_size != meta.expanded_size)
    return make_error(content_size > meta.expanded_size ? ec::size_exceeded : ec::hash_mismatch,
                      "the expanded package of " + meta.version + " has "
                        + std::to_string(content_size) + " bytes, not the "
                        + std::to_string(meta.expanded_size) + " signed");
  if (sha256_hex_of_content != meta.expanded_sha256)
    return make_error(ec::hash_mismatch, "the expanded package of " + meta.version
                                           + " has SHA-256 " + std::string{sha256_hex_of_content}
                                           + ", not the signed " + meta.expanded_sha256);
  return {};
}

} // namespace vigil
