#include "protocol/endpoints.hpp"

#include <charconv>

#include "protocol/modules.hpp"

namespace vigil::protocol {

namespace {

/// The base as a path prefix: leading and trailing '/' guaranteed.
std::string normalized_base(std::string_view base) {
  std::string out;
  if (base.empty() || base.front() != '/')
    out += '/';
  out += base;
  if (out.back() != '/')
    out += '/';
  return out;
}

std::string join(std::string_view base, std::string_view relative) {
  auto out = normalized_base(base);
  out += relative;
  return out;
}

bool is_unreserved(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
         || c == '.' || c == '_' || c == '~';
}

void append_segment(std::string& out, std::string_view segment) {
  constexpr char hex[] = "0123456789ABCDEF";
  for (char c : segment) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0x0f];
    }
  }
}

std::string delta_target(std::string_view base, std::string_view module, uint64_t seq) {
  auto out = join(base, "v1/deltas/");
  append_segment(out, module);
  out += '/';
  out += std::to_string(seq);
  return out;
}

/// Splits off the first '/'-separated segment of `path`.
std::string_view next_segment(std::string_view& path) {
  auto slash = path.find('/');
  auto segment = path.substr(0, slash);
  path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  return segment;
}

std::optional<uint64_t> parse_seq(std::string_view text) {
  if (text.empty() || text.front() == '0')
    return std::nullopt;
  uint64_t seq = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (err != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return seq;
}

} // namespace

std::string endpoint_status(std::string_view base) {
  return join(base, "status");
}

std::string endpoint_provision(std::string_view base) {
  return join(base, "v1/provision");
}

std::string endpoint_checkin(std::string_view base) {
  return join(base, "v1/checkin");
}

std::string endpoint_profile(std::string_view base) {
  return join(base, "v1/profile");
}

std::string endpoint_manifest(std::string_view base, std::string_view module) {
  auto out = join(base, "v1/manifests/");
  append_segment(out, module);
  return out;
}

std::string endpoint_delta(std::string_view base, std::string_view module, uint64_t seq) {
  return delta_target(base, module, seq);
}

std::string endpoint_delta_complete(std::string_view base, std::string_view module,
                                    uint64_t seq) {
  auto out = delta_target(base, module, seq);
  out += "/complete";
  return out;
}

std::string endpoint_release_package(std::string_view base, std::string_view version) {
  auto out = join(base, "v1/releases/");
  append_segment(out, version);
  out += "/package";
  return out;
}

std::string endpoint_release_patch(std::string_view base, std::string_view version,
                                   std::string_view from) {
  auto out = join(base, "v1/releases/");
  append_segment(out, version);
  out += "/patch/";
  append_segment(out, from);
  return out;
}

std::optional<route> match_route(std::string_view base, std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  auto prefix = normalized_base(base);
  if (target.substr(0, prefix.size()) != prefix)
    return std::nullopt;
  auto rest = target.substr(prefix.size());
  if (rest == "status")
    return route{endpoint::status, {}, 0, {}, {}};
  if (next_segment(rest) != "v1")
    return std::nullopt;
  auto name = next_segment(rest);
  if (rest.empty() && target.back() != '/') {
    if (name == "provision")
      return route{endpoint::provision, {}, 0, {}, {}};
    if (name == "checkin")
      return route{endpoint::checkin, {}, 0, {}, {}};
    if (name == "profile")
      return route{endpoint::profile, {}, 0, {}, {}};
    return std::nullopt;
  }
  if (name == "releases") {
    auto plain = [](std::string_view v) {
      return !v.empty() && v.size() <= 32
             && v.find_first_not_of("0123456789.") == std::string_view::npos;
    };
    auto version = next_segment(rest);
    if (!plain(version))
      return std::nullopt;
    if (rest == "package")
      return route{endpoint::release_package, {}, 0, std::string{version}, {}};
    if (next_segment(rest) != "patch" || target.back() == '/')
      return std::nullopt;
    auto from = next_segment(rest);
    if (!rest.empty() || !plain(from))
      return std::nullopt;
    return route{endpoint::release_patch, {}, 0, std::string{version}, std::string{from}};
  }
  auto module = next_segment(rest);
  if (!is_module_name(module))
    return std::nullopt;
  if (name == "manifests")
    return rest.empty() && target.back() != '/'
             ? std::optional<route>{route{endpoint::manifest, std::string{module}, 0, {}, {}}}
             : std::nullopt;
  if (name != "deltas" || rest.empty())
    return std::nullopt;
  auto seq = parse_seq(next_segment(rest));
  if (!seq)
    return std::nullopt;
  if (rest.empty() && target.back() != '/')
    return route{endpoint::delta, std::string{module}, *seq, {}, {}};
  if (rest == "complete")
    return route{endpoint::delta_complete, std::string{module}, *seq, {}, {}};
  return std::nullopt;
}

} // namespace vigil::protocol
