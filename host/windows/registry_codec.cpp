#include "host/windows/registry_codec.hpp"

#include <cstring>

#include "common/error.hpp"
#include "host/windows/wide.hpp"

namespace vigil::win {

namespace {

void append_utf16(std::string& out, std::string_view text) {
  auto wide = widen(text);
  wide.push_back(L'\0');
  out.append(reinterpret_cast<const char*>(wide.data()), wide.size() * sizeof(wchar_t));
}

std::wstring_view utf16(std::string_view bytes) {
  return {reinterpret_cast<const wchar_t*>(bytes.data()), bytes.size() / sizeof(wchar_t)};
}

template <class T>
std::string little_endian(T number) {
  std::string out(sizeof(T), '\0');
  for (size_t i = 0; i < sizeof(T); ++i)
    out[i] = static_cast<char>((number >> (8 * i)) & 0xff);
  return out;
}

template <class T>
T from_little_endian(std::string_view bytes) {
  T number = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    number |= T{static_cast<unsigned char>(bytes[i])} << (8 * i);
  return number;
}

} // namespace

std::string encode_value(const reg_value& value) {
  std::string out;
  std::visit(
    [&](const auto& data) {
      using T = std::decay_t<decltype(data)>;
      if constexpr (std::is_same_v<T, std::string>) {
        append_utf16(out, data);
      } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        for (auto& item : data)
          append_utf16(out, item);
        out.append(sizeof(wchar_t), '\0');
      } else if constexpr (std::is_same_v<T, std::vector<uint8_t>>) {
        out.assign(data.begin(), data.end());
      } else {
        out = little_endian(data);
      }
    },
    value.data);
  return out;
}

caf::expected<reg_value> decode_value(std::string name, uint32_t type, std::string_view bytes,
                                      std::string_view where) {
  auto t = static_cast<reg_type>(type);
  switch (t) {
    case reg_type::sz:
    case reg_type::expand_sz: {
      auto text = utf16(bytes);
      while (!text.empty() && text.back() == L'\0')
        text.remove_suffix(1);
      return t == reg_type::sz ? reg_value::sz(std::move(name), narrow(text))
                               : reg_value::expand_sz(std::move(name), narrow(text));
    }
    case reg_type::multi_sz: {
      auto text = utf16(bytes);
      // The list ends at an empty string (two NULs in a row).
      std::vector<std::string> items;
      while (!text.empty()) {
        auto end = text.find(L'\0');
        auto item = text.substr(0, end);
        if (item.empty())
          break;
        items.push_back(narrow(item));
        text.remove_prefix(end == std::wstring_view::npos ? text.size() : end + 1);
      }
      return reg_value::multi_sz(std::move(name), std::move(items));
    }
    case reg_type::dword:
    case reg_type::qword: {
      size_t want = t == reg_type::dword ? 4 : 8;
      if (bytes.size() != want)
        return make_error(ec::corruption, std::string{where} + ": " + to_string(t) + " of "
                                            + std::to_string(bytes.size()) + " bytes, expected "
                                            + std::to_string(want));
      if (t == reg_type::dword)
        return reg_value::dword(std::move(name), from_little_endian<uint32_t>(bytes));
      return reg_value::qword(std::move(name), from_little_endian<uint64_t>(bytes));
    }
    default:
      return reg_value::raw(std::move(name), t,
                            std::vector<uint8_t>(bytes.begin(), bytes.end()));
  }
}

} // namespace vigil::win
