#include "host/reg_format.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "host/text_encoding.hpp"

using namespace vigil;

namespace {

const std::string key = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent";

hive every_type() {
  hive h;
  h.set(key, reg_value::sz("CustomerId", "{1F2E3D4C-0000-4000-8000-000000000001}"));
  h.set(key, reg_value::sz("Quoted", "say \"hi\" C:\\path\\"));
  h.set(key, reg_value::expand_sz("Path", "%SystemRoot%\\bin"));
  h.set(key, reg_value::multi_sz("Servers", {"a.example", "b.example", "ünïcode"}));
  h.set(key, reg_value::dword("CpuLimit", 0xdeadbeef));
  h.set(key, reg_value::qword("Big", 0x0123456789abcdefULL));
  std::vector<uint8_t> long_blob;
  for (int i = 0; i < 200; ++i)
    long_blob.push_back(static_cast<uint8_t>(i));
  h.set(key, reg_value::binary("Blob", long_blob));
  h.set(key, reg_value::sz("", "default value"));
  h.set(key + "\\Logs", reg_value::dword("TraceLevel", 6));
  h.ensure_key(key + "\\Empty");
  // Types without a text form keep their number (regedit's hex(N):).
  h.set(key + "\\Raw", reg_value::raw("None", reg_type::none, {1, 2}));
  h.set(key + "\\Raw", reg_value::raw("BigEndian", reg_type::dword_big_endian, {0, 0, 0, 1}));
  h.set(key + "\\Raw", reg_value::raw("Odd", static_cast<reg_type>(0x100), {}));
  h.set(key + "\\Raw", reg_value::raw("Max", static_cast<reg_type>(0xffffffff), {0xff}));
  return h;
}

} // namespace

TEST_CASE("reg_format: every type survives render and parse") {
  auto original = every_type();
  auto text = render_hive(original);
  auto parsed = parse_hive(text, "test.reg");
  REQUIRE(parsed);
  CHECK(*parsed == original);
  // Long binary data wraps with continuations, as regedit writes it.
  CHECK(text.find("\\\n  ") != std::string::npos);
  CHECK(text.find("\"None\"=hex(0):01,02\n") != std::string::npos);
  CHECK(text.find("\"BigEndian\"=hex(5):00,00,00,01\n") != std::string::npos);
  CHECK(text.find("\"Odd\"=hex(100):\n") != std::string::npos);
  CHECK(text.find("\"Max\"=hex(ffffffff):ff\n") != std::string::npos);
  // Rendering is canonical: the same hive gives the same bytes.
  CHECK(render_hive(*parsed) == text);
}

TEST_CASE("reg_format: regedit's UTF-16LE export with BOM and CRLF parses") {
  std::string utf8 = "Windows Registry Editor Version 5.00\r\n\r\n"
                     "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent\\Logs]\r\n"
                     "\"TraceLevel\"=dword:00000006\r\n"
                     "\"Name\"=\"caf\xC3\xA9\"\r\n"
                     "\"Multi\"=hex(7):61,00,00,00,62,00,\\\r\n"
                     "  00,00,00,00\r\n";
  auto utf16 = "\xFF\xFE" + *utf8_to_utf16le(utf8);
  auto parsed = parse_hive(utf16, "export.reg");
  REQUIRE(parsed);
  auto logs = key + "\\Logs";
  CHECK(parsed->get(logs, "tracelevel")->as_number() == 6u);
  CHECK(parsed->get(logs, "Name")->as_string() == "caf\xC3\xA9");
  CHECK(parsed->get(logs, "Multi")->data
        == reg_value::data_type{std::vector<std::string>{"a", "b"}});
}

TEST_CASE("reg_format: deletions and REGEDIT4 files") {
  auto parsed = parse_reg("REGEDIT4\n\n[HKLM\\SOFTWARE\\A]\n\"x\"=-\n[-HKLM\\SOFTWARE\\B]\n",
                          "old.reg");
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 3);
  CHECK((*parsed)[0].key == "HKEY_LOCAL_MACHINE\\SOFTWARE\\A");
  CHECK((*parsed)[1].what == reg_statement::kind::delete_value);
  CHECK((*parsed)[2].what == reg_statement::kind::delete_key);
  hive h;
  h.set("HKEY_LOCAL_MACHINE\\SOFTWARE\\A", reg_value::sz("x", "1"));
  h.set("HKEY_LOCAL_MACHINE\\SOFTWARE\\B\\C", reg_value::sz("y", "1"));
  apply_statements(h, *parsed);
  CHECK(h.get("HKEY_LOCAL_MACHINE\\SOFTWARE\\A", "x") == nullptr);
  CHECK(h.find_key("HKEY_LOCAL_MACHINE\\SOFTWARE\\B\\C") == nullptr);
}

TEST_CASE("reg_format: malformed input is an error naming the line") {
  struct bad_case {
    std::string text;
    std::string expected;
  };
  std::vector<bad_case> cases{
    {"not a header\n", "hive.reg:1:"},
    {"Windows Registry Editor Version 5.00\n\n\"x\"=\"1\"\n", "hive.reg:3: value outside"},
    {"Windows Registry Editor Version 5.00\n[HKLM\\A]\n\"x\"=dword:123456789\n", "hive.reg:3:"},
    {"Windows Registry Editor Version 5.00\n[HKLM\\A]\n\"x\"=\"unterminated\n", "hive.reg:3:"},
    {"Windows Registry Editor Version 5.00\n[HKLM\\A\n", "hive.reg:2:"},
    {"Windows Registry Editor Version 5.00\n[NOPE\\A]\n", "hive.reg:2:"},
    {"Windows Registry Editor Version 5.00\n[HKLM\\A]\n\"x\"=hex:zz\n", "hive.reg:3:"},
    {"Windows Registry Editor Version 5.00\n[HKLM\\A]\n\"x\"=hex(b):01,02\n", "hive.reg:3:"},
    {"Windows Registry Editor Version 5.00\n[HKLM\\A]\n\n\n\"x\" \"y\"\n", "hive.reg:5:"},
    {"\nWindows Registry Editor Version 5.00\n", "hive.reg:1:"},
    {"Windows Registry Editor Version 5.00\n[HKLM\\A]\n\"x\"=\"C:\\Temp\"\n", "hive.reg:3: invalid escape"},
    {"Windows Registry Editor Version 5.00\n[HKLM\\A]\n\"x\"=hex:01,\\\n\n#c\n", "hive.reg:5:"},
    {"Windows Registry Editor Version 5.00\n[- HKLM\\A]\n", "hive.reg:2:"},
  };
  for (auto& c : cases) {
    CAPTURE(c.text);
    auto parsed = parse_hive(c.text, "hive.reg");
    REQUIRE_FALSE(parsed);
    CHECK(code_of(parsed.error()) == ec::parse_error);
    CHECK(render(parsed.error()).find(c.expected) != std::string::npos);
  }
}

TEST_CASE("hive: keys and values are case-insensitive and case-preserving") {
  hive h;
  h.set("HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil", reg_value::sz("CustomerId", "a"));
  h.set("hkey_local_machine\\software\\VIGIL", reg_value::sz("customerid", "b"));
  auto* k = h.find_key("HKEY_LOCAL_MACHINE\\Software\\vigil");
  REQUIRE(k != nullptr);
  CHECK(k->path == "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil");
  REQUIRE(k->values.size() == 1);
  CHECK(k->values[0].name == "CustomerId");
  CHECK(k->values[0].as_string() == "b");
}

TEST_CASE("hive: subtree and children follow tree order") {
  hive h;
  h.ensure_key("HKEY_LOCAL_MACHINE\\A\\B0");
  h.ensure_key("HKEY_LOCAL_MACHINE\\A\\B\\C");
  h.ensure_key("HKEY_LOCAL_MACHINE\\A_B");
  auto sub = h.subtree("HKEY_LOCAL_MACHINE\\A");
  std::vector<std::string> paths;
  for (auto* k : sub)
    paths.push_back(k->path);
  CHECK(paths
        == std::vector<std::string>{"HKEY_LOCAL_MACHINE\\A", "HKEY_LOCAL_MACHINE\\A\\B",
                                    "HKEY_LOCAL_MACHINE\\A\\B\\C", "HKEY_LOCAL_MACHINE\\A\\B0"});
  CHECK(h.child_keys("HKEY_LOCAL_MACHINE\\A")
        == std::vector<std::string>{"HKEY_LOCAL_MACHINE\\A\\B", "HKEY_LOCAL_MACHINE\\A\\B0"});
  CHECK(h.remove_key("hkey_local_machine\\a"));
  CHECK(h.find_key("HKEY_LOCAL_MACHINE\\A\\B\\C") == nullptr);
  CHECK(h.find_key("HKEY_LOCAL_MACHINE\\A_B") != nullptr);
}

TEST_CASE("normalize_key_path: reg.exe root abbreviations") {
  CHECK(*normalize_key_path("HKLM\\SOFTWARE\\Vigil\\") == "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil");
  CHECK(*normalize_key_path("hkcu") == "HKEY_CURRENT_USER");
  CHECK(is_root_key(*normalize_key_path("hkcu")));
  CHECK_FALSE(is_root_key(*normalize_key_path("HKLM\\A")));
  CHECK_FALSE(normalize_key_path("HKXX\\A"));
  CHECK_FALSE(normalize_key_path("HKLM\\A\\\\B"));
  // Issue 17: as reg.exe, no backslash right after a bare root, never two
  // trailing backslashes.
  CHECK_FALSE(normalize_key_path("HKLM\\"));
  CHECK_FALSE(normalize_key_path("HKEY_LOCAL_MACHINE\\"));
  CHECK_FALSE(normalize_key_path("HKLM\\A\\\\"));
  CHECK_FALSE(normalize_key_path("HKLM\\A\\\\\\"));
  CHECK_FALSE(normalize_key_path("HKLM\\A\nB"));
  CHECK_FALSE(normalize_key_path(std::string{"HKLM\\A\0B", 8}));
  CHECK_FALSE(normalize_key_path("HKLM\\A\x01" "B"));
  CHECK(*normalize_key_path("HKLM\\A\tB") == "HKEY_LOCAL_MACHINE\\A\tB");
}

TEST_CASE("reg_format: values under [-KEY] are parsed and ignored") {
  auto parsed = parse_reg("REGEDIT4\n[-HKLM\\A]\n\"x\"=\"1\"\n[HKLM\\B]\n\"y\"=\"2\"\n", "d.reg");
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 4);
  CHECK((*parsed)[1].what == reg_statement::kind::ignored_value);
  CHECK((*parsed)[1].line == 3);
  hive h;
  apply_statements(h, *parsed);
  CHECK(h.get("HKEY_LOCAL_MACHINE\\A", "x") == nullptr);
  CHECK(h.get("HKEY_LOCAL_MACHINE\\B", "y")->as_string() == "2");
}
