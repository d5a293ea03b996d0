// Issue 17: vigil-reg against reg.exe's and regedit's documented behaviour,
// one table row per case, each run through the real binary: the exit code, and
// the hive read back afterwards (a refused import must leave it byte-identical).

#include <doctest/doctest.h>

#include "host/hive_file.hpp"
#include "host/text_encoding.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

const std::string key = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vigil\\VigilAgent";
const std::string old_key = key + "\\Old";
const std::string section = "[" + key + "]\n";
const std::string header = "Windows Registry Editor Version 5.00\n\n";

struct reg_tool {
  std::filesystem::path root;

  test::process_result operator()(std::vector<std::string> args) const {
    args.insert(args.begin(), {test::program("vigil-reg").string(), "--root", root.string()});
    return test::run(args);
  }

  std::filesystem::path hive() const { return root / "etc/opt/vigil/registry.reg"; }

  /// The state every case starts from: a value in the agent key, and a subkey
  /// Old with a value, for the deletion cases.
  void seed() const {
    auto seeded = hive_file{hive()}.update([](vigil::hive& h) -> caf::expected<void> {
      h.set(key, reg_value::dword("Existing", 7));
      h.set(old_key, reg_value::sz("Keep", "1"));
      return {};
    });
    REQUIRE(seeded);
  }
};

/// A value expected after the command; nothing means it must be absent.
struct expected_value {
  std::string key;
  std::string name;
  std::optional<reg_value> value;
};

std::vector<uint8_t> bytes(std::initializer_list<uint8_t> list) {
  return list;
}

expected_value absent(std::string name, std::string in = key) {
  return {std::move(in), std::move(name), std::nullopt};
}

expected_value has(reg_value value, std::string in = key) {
  auto name = value.name;
  return {std::move(in), std::move(name), std::move(value)};
}

const expected_value old_kept = has(reg_value::sz("Keep", "1"), old_key);
const expected_value old_gone = absent("Keep", old_key);

void check_values(const reg_tool& reg, const std::vector<expected_value>& values) {
  // CHECK, not REQUIRE: one failing row must not hide the rows after it.
  auto h = hive_file{reg.hive()}.load();
  CHECK(h);
  if (!h)
    return;
  for (auto& v : values) {
    CAPTURE(v.key);
    CAPTURE(v.name);
    auto* got = h->get(v.key, v.name);
    if (!v.value) {
      CHECK(got == nullptr);
      continue;
    }
    CHECK(got != nullptr);
    if (got == nullptr)
      continue;
    CHECK(to_string(got->type) == to_string(v.value->type));
    CHECK(got->display() == v.value->display());
    CHECK(*got == *v.value);
  }
}

struct import_case {
  std::string what;
  std::string text; ///< the file after the header (or the whole file, see `whole`)
  int exit_code;
  std::vector<expected_value> after;
  std::string message = {}; ///< expected in stderr
  bool whole = false;       ///< `text` is the whole file, header included
};

/// Runs every import case on a fresh, seeded hive.
void run_import_cases(const std::vector<import_case>& cases) {
  for (auto& c : cases) {
    CAPTURE(c.what);
    CAPTURE(c.text);
    test::temp_dir dir;
    reg_tool reg{dir.path()};
    reg.seed();
    auto before = test::read_file(reg.hive());
    auto file = dir / "in.reg";
    test::write_file(file, c.whole ? c.text : header + c.text);
    auto r = reg({"import", file.string()});
    CAPTURE(r.err);
    CHECK(r.exit_code == c.exit_code);
    if (!c.message.empty())
      CHECK(r.err.find(c.message) != std::string::npos);
    if (c.exit_code != 0) {
      CHECK(r.err.find("Nothing was imported") != std::string::npos);
      CHECK(test::read_file(reg.hive()) == before);
    }
    check_values(reg, c.after);
  }
}

struct command_case {
  std::string what;
  std::vector<std::string> args;
  int exit_code;
  std::vector<expected_value> after;
  std::string message = {};
};

void run_command_cases(const std::vector<command_case>& cases) {
  for (auto& c : cases) {
    CAPTURE(c.what);
    test::temp_dir dir;
    reg_tool reg{dir.path()};
    reg.seed();
    auto before = test::read_file(reg.hive());
    auto r = reg(c.args);
    CAPTURE(r.err);
    CHECK(r.exit_code == c.exit_code);
    if (!c.message.empty())
      CHECK(r.err.find(c.message) != std::string::npos);
    if (c.exit_code != 0)
      CHECK(test::read_file(reg.hive()) == before);
    check_values(reg, c.after);
  }
}

} // namespace

TEST_CASE("vigil-reg import: quoted strings never lose a backslash (issue 17, item 2)") {
  run_import_cases({
    {"unknown escape \\P", section + R"("Path"="C:\Program Files")" "\n", 1, {absent("Path")},
     "in.reg:4: invalid escape '\\P'"},
    {"\\0 inside data", section + R"("V"="Value1\0")" "\n", 1, {absent("V")}, "in.reg:4:"},
    {"\\n is not an escape either", section + R"("V"="a\nb")" "\n", 1, {absent("V")}, "in.reg:4:"},
    {"escape in a value name", section + R"("Na\me"="x")" "\n", 1, {absent("Name"), absent("Na\\me")},
     "in.reg:4:"},
    {"backslash at the end of the line", section + R"("V"="abc\)" "\n", 1, {absent("V")},
     "in.reg:4:"},
    {"a malformed line after good ones changes nothing",
     section + R"("Good"="1")" "\n" R"("Path"="C:\x")" "\n", 1, {absent("Good"), old_kept},
     "in.reg:5:"},
    {"\\\\ and \\\" are the escapes",
     section + R"("Path"="C:\\Program Files\\")" "\n" R"("Q"="say \"hi\"")" "\n"
               R"("Na\\me"="x")" "\n",
     0,
     {has(reg_value::sz("Path", "C:\\Program Files\\")), has(reg_value::sz("Q", "say \"hi\"")),
      has(reg_value::sz("Na\\me", "x"))}},
    {"\\\\0 is a backslash and a zero", section + R"("V"="Value1\\0")" "\n", 0,
     {has(reg_value::sz("V", "Value1\\0"))}},
  });
}

TEST_CASE("vigil-reg import: key lines as regedit reads them (issue 17, items 3 and 6)") {
  run_import_cases({
    {"[- KEY] (space)", "[- " + old_key + "]\n", 1, {old_kept}, "in.reg:3: blank after '[-'"},
    {"[-\\tKEY] (tab)", "[-\t" + old_key + "]\n", 1, {old_kept}, "in.reg:3:"},
    {"[ -KEY]", "[ -" + old_key + "]\n", 1, {old_kept}, "in.reg:3: blank after '['"},
    {"[ KEY]", "[ " + key + "]\n\"V\"=\"1\"\n", 1, {absent("V")}, "in.reg:3:"},
    {"[-KEY] deletes", "[-" + old_key + "]\n", 0, {old_gone, has(reg_value::dword("Existing", 7))}},
    {"[-KEY] case-insensitive, abbreviated root", "[-hklm\\software\\vigil\\vigilagent\\OLD]\n", 0,
     {old_gone}},
    {"[-ROOT] is refused", "[-HKEY_LOCAL_MACHINE]\n", 1, {old_kept}, "root key"},
    {"[ROOT\\] is refused", "[HKEY_LOCAL_MACHINE\\]\n\"V\"=\"1\"\n", 1,
     {absent("V", "HKEY_LOCAL_MACHINE")}, "in.reg:3:"},
    {"two trailing backslashes", "[" + key + "\\X\\\\]\n\"V\"=\"1\"\n", 1, {absent("V", key + "\\X")},
     "in.reg:3: invalid key name"},
    {"one trailing backslash", "[" + key + "\\X\\]\n\"V\"=\"1\"\n", 0,
     {has(reg_value::sz("V", "1"), key + "\\X")}},
    {"a blank at the end of the key name is part of it",
     "[" + key + "\\X \t]\n\"V\"=\"1\"\n", 0,
     {absent("V", key + "\\X"), has(reg_value::sz("V", "1"), key + "\\X \t")}},
    {"a root and a blank", "[HKEY_LOCAL_MACHINE ]\n", 1, {}, "in.reg:3:"},
    {"a blank after the trailing backslash", "[" + key + "\\X\\ ]\n", 1, {}, "in.reg:3:"},
    {"leading blanks before [", "  \t[" + key + "]\n\"V\"=\"1\"\n", 0, {has(reg_value::sz("V", "1"))}},
    {"; comment after ]", "[" + key + "] ; the agent\n\"V\"=\"1\"\n", 0,
     {has(reg_value::sz("V", "1"))}},
    {"text after ]", "[" + key + "] x\n\"V\"=\"1\"\n", 1, {absent("V")}, "in.reg:3:"},
    {"no closing ]", "[" + key + "\n", 1, {}, "in.reg:3:"},
    {"unknown root", "[HKEY_NOPE\\A]\n", 1, {}, "in.reg:3:"},
    {"a control byte in a key name (found by fuzzing)",
     "[" + key + "\\A" + std::string{"\x01", 1} + "B]\n\"V\"=\"1\"\n", 1, {}, "control character 0x01"},
  });
}

TEST_CASE("vigil-reg import: comments where regedit allows them (issue 17, item 7)") {
  run_import_cases({
    {"; after a string", section + "\"S\"=\"v\" ;c\n\"T\"=\"w\";c\n\"U\"=\"x\"\t\t;c\n", 0,
     {has(reg_value::sz("S", "v")), has(reg_value::sz("T", "w")), has(reg_value::sz("U", "x"))}},
    {"; inside a string is data", section + "\"S\"=\"a;b #c\"\n", 0,
     {has(reg_value::sz("S", "a;b #c"))}},
    {"# after a string", section + "\"S\"=\"v\" #c\n", 1, {absent("S")}, "in.reg:4: '#'"},
    {"# right after a string", section + "\"S\"=\"v\"#c\n", 1, {absent("S")}, "in.reg:4:"},
    {"; after a dword", section + "\"D\"=dword:00000001 ;c\n\"E\"=dword:1234;5678\n", 0,
     {has(reg_value::dword("D", 1)), has(reg_value::dword("E", 0x1234))}},
    {"# after a dword", section + "\"D\"=dword:00000001 #c\n", 1, {absent("D")}, "in.reg:4:"},
    {"; after hex data", section + "\"B\"=hex:01,02 ;c\n\"C\"=hex:03,;c\n", 0,
     {has(reg_value::binary("B", bytes({1, 2}))), has(reg_value::binary("C", bytes({3})))}},
    {"# after hex data", section + "\"B\"=hex:01,02 #c\n", 1, {absent("B")}, "in.reg:4:"},
    {"; after =-", "[" + old_key + "]\n\"Keep\"=- ;c\n", 0, {old_gone}},
    {"blanks around =-", "[" + old_key + "]\n\"Keep\"  =  \t-\t \n", 0, {old_gone}},
    {"# after =-", "[" + old_key + "]\n\"Keep\"=- #c\n", 1, {old_kept}, "in.reg:4:"},
    {"text after =-", "[" + old_key + "]\n\"Keep\"=-\"x\"\n", 1, {old_kept}, "in.reg:4:"},
    {"; after a continuation backslash",
     section + "\"M\"=hex(7):61,00,00,00,\\ ;c\n  62,00,00,00,\\\t;c\n  00,00\n", 0,
     {has(reg_value::multi_sz("M", {"a", "b"}))}},
    {"comment and blank lines inside a continuation",
     section + "\"B\"=hex:01,\\\n;c\n  ;c\n\n  \t\n  02\n", 0,
     {has(reg_value::binary("B", bytes({1, 2})))}},
    {"# line inside a continuation", section + "\"B\"=hex:01,\\\n#c\n  02\n", 1, {absent("B")},
     "in.reg:5:"},
    {"# after a continuation backslash", section + "\"B\"=hex:01,\\#c\n  02\n", 1, {absent("B")},
     "in.reg:4:"},
    {"lines starting with # or ;",
     section + "#\"C1\"=\"1\"\n;\"C2\"=\"2\"\n  #\"C3\"=\"3\"\n\t;\"C4\"=\"4\"\n\"V\"=\"1\"\n", 0,
     {absent("C1"), absent("C2"), absent("C3"), absent("C4"), has(reg_value::sz("V", "1"))}},
    {"a line that is neither", section + "V=1\n", 1, {absent("V")}, "in.reg:4: unrecognized line"},
  });
}

TEST_CASE("vigil-reg import: every hex(N) type keeps its number (issue 17, item 7)") {
  auto raw = [](std::string name, uint32_t type, std::vector<uint8_t> data) {
    return has(reg_value::raw(std::move(name), static_cast<reg_type>(type), std::move(data)));
  };
  run_import_cases({
    {"hex(0) REG_NONE", section + "\"N\"=hex(0):01,02\n", 0, {raw("N", 0, {1, 2})}},
    {"hex(1) REG_SZ", section + "\"S\"=hex(1):61,00,62,00,00,00\n", 0,
     {has(reg_value::sz("S", "ab"))}},
    {"hex(2) REG_EXPAND_SZ", section + "\"E\"=hex(2):25,00,50,00,25,00,00,00\n", 0,
     {has(reg_value::expand_sz("E", "%P%"))}},
    {"hex(3) REG_BINARY", section + "\"B\"=hex(3):01,02\n", 0,
     {has(reg_value::binary("B", bytes({1, 2})))}},
    {"hex(4) REG_DWORD", section + "\"D\"=hex(4):01,02,00,00\n", 0,
     {has(reg_value::dword("D", 0x201))}},
    {"hex(4) of 2 bytes", section + "\"D\"=hex(4):01,02\n", 1, {absent("D")}, "exactly 4 bytes"},
    {"hex(5) REG_DWORD_BIG_ENDIAN", section + "\"D\"=hex(5):00,00,00,01\n", 0,
     {raw("D", 5, {0, 0, 0, 1})}},
    {"hex(6) REG_LINK", section + "\"L\"=hex(6):5c,00\n", 0, {raw("L", 6, {0x5c, 0})}},
    {"hex(7) REG_MULTI_SZ", section + "\"M\"=hex(7):61,00,00,00,62,00,00,00,00,00\n", 0,
     {has(reg_value::multi_sz("M", {"a", "b"}))}},
    {"hex(7) with data after the list's end", section + "\"M\"=hex(7):61,00,00,00,00,00,62,00\n",
     1, {absent("M")}, "in.reg:4:"},
    {"hex(8) REG_RESOURCE_LIST", section + "\"R\"=hex(8):01\n", 0, {raw("R", 8, {1})}},
    {"hex(9) REG_FULL_RESOURCE_DESCRIPTOR", section + "\"R\"=hex(9):01\n", 0,
     {raw("R", 9, {1})}},
    {"hex(a) REG_RESOURCE_REQUIREMENTS_LIST", section + "\"R\"=hex(a):01\n", 0,
     {raw("R", 10, {1})}},
    {"hex(b) REG_QWORD", section + "\"Q\"=hex(b):01,00,00,00,00,00,00,80\n", 0,
     {has(reg_value::qword("Q", 0x8000000000000001ULL))}},
    {"hex(B) upper case", section + "\"Q\"=hex(B):01,00,00,00,00,00,00,00\n", 0,
     {has(reg_value::qword("Q", 1))}},
    {"hex(100)", section + "\"X\"=hex(100):56,61\n", 0, {raw("X", 0x100, {0x56, 0x61})}},
    {"hex(ffffffff), empty", section + "\"X\"=hex(ffffffff):\n", 0, {raw("X", 0xffffffff, {})}},
    {"hex(100000000)", section + "\"X\"=hex(100000000):01\n", 1, {absent("X")}, "in.reg:4:"},
    {"hex(0x2)", section + "\"X\"=hex(0x2):01\n", 1, {absent("X")}, "in.reg:4:"},
    {"hex(x2)", section + "\"X\"=hex(x2):01\n", 1, {absent("X")}, "in.reg:4:"},
    {"HEX: upper case", section + "\"X\"=HEX:01\n", 1, {absent("X")}, "in.reg:4:"},
    {"hex: empty", section + "\"X\"=hex:\n", 0, {has(reg_value::binary("X", {}))}},
    {"single-digit bytes", section + "\"X\"=hex:1,a\n", 0,
     {has(reg_value::binary("X", bytes({1, 10})))}},
    {"three digits", section + "\"X\"=hex:100\n", 1, {absent("X")}, "in.reg:4:"},
    {"empty item", section + "\"X\"=hex:01,,02\n", 1, {absent("X")}, "in.reg:4:"},
    {"continuation without a comma", section + "\"X\"=hex:01,02\\\n  03\n", 1, {absent("X")},
     "in.reg:4:"},
    {"continuation line starting with a comma", section + "\"X\"=hex:01,\\\n  ,02\n", 1,
     {absent("X")}, "in.reg:5:"},
    {"a byte split over a continuation", section + "\"X\"=hex:01,0\\\n1\n", 1, {absent("X")},
     "in.reg:4:"},
    {"continuation right after the colon", section + "\"X\"=hex:\\\n  01,02\n", 0,
     {has(reg_value::binary("X", bytes({1, 2})))}},
    {"continuation past the end of the file", section + "\"X\"=hex:01,\\\n", 1, {absent("X")},
     "continues past the end"},
    {"a value line where the continuation goes on", section + "\"X\"=hex:01,\\\n\"Y\"=\"1\"\n", 1,
     {absent("X"), absent("Y")}, "in.reg:5:"},
    {"dword without digits", section + "\"D\"=dword:\n", 1, {absent("D")}, "in.reg:4:"},
    {"dword with 0x", section + "\"D\"=dword:0x1\n", 1, {absent("D")}, "in.reg:4:"},
    {"dword with 9 digits", section + "\"D\"=dword:000000001\n", 1, {absent("D")}, "in.reg:4:"},
    {"dword with blanks", section + "\"D\"=dword:  00000008\n\"E\"=dword:1\n", 0,
     {has(reg_value::dword("D", 8)), has(reg_value::dword("E", 1))}},
    {"DWORD: upper case", section + "\"D\"=DWORD:1\n", 1, {absent("D")}, "in.reg:4:"},
  });
}

TEST_CASE("vigil-reg import: header variants") {
  auto body = section + "\"V\"=\"1\"\n";
  run_import_cases({
    {"REGEDIT4 (ANSI hex(2))", "REGEDIT4\n\n" + section + "\"E\"=hex(2):25,50,25,00\n", 0,
     {has(reg_value::expand_sz("E", "%P%"))}, "", true},
    {"blanks before the header", " \t" + header + body, 0, {has(reg_value::sz("V", "1"))}, "", true},
    {"CRLF", "Windows Registry Editor Version 5.00\r\n\r\n[" + key + "]\r\n\"V\"=\"1\"\r\n", 0,
     {has(reg_value::sz("V", "1"))}, "", true},
    {"UTF-8 BOM", "\xEF\xBB\xBF" + header + body, 0, {has(reg_value::sz("V", "1"))}, "", true},
    {"UTF-16LE with BOM", "\xFF\xFE" + *utf8_to_utf16le(header + body), 0,
     {has(reg_value::sz("V", "1"))}, "", true},
    {"a blank line before the header", "\n" + header + body, 1, {absent("V")}, "in.reg:1:", true},
    {"regedit4 in lower case", "regedit4\n" + body, 1, {absent("V")}, "in.reg:1:", true},
    {"REGEDIT5", "REGEDIT5\n" + body, 1, {absent("V")}, "in.reg:1:", true},
    {"Version 4.00", "Windows Registry Editor Version 4.00\n" + body, 1, {absent("V")},
     "in.reg:1:", true},
    {"no header", body, 1, {absent("V")}, "in.reg:1:", true},
    {"an empty file", "", 1, {has(reg_value::dword("Existing", 7))}, "is empty", true},
    {"a value before any key", header + "\"V\"=\"1\"\n" + body, 1, {absent("V")}, "in.reg:3:", true},
    {"the header alone", header, 0, {has(reg_value::dword("Existing", 7))}, "", true},
  });
}

TEST_CASE("vigil-reg import: values after [-KEY] are ignored, as regedit does (item 7)") {
  run_import_cases({
    {"ignored, with a warning", "[-" + old_key + "]\n\"New\"=\"x\"\n@=\"d\"\n", 0,
     {old_gone, absent("New", old_key), absent("", old_key)}, "in.reg:4: value \"New\" follows"},
    {"still checked", "[-" + old_key + "]\n\"New\"=\"C:\\x\"\n", 1, {old_kept}, "in.reg:4:"},
    {"a new [KEY] starts a section again", "[-" + old_key + "]\n[" + old_key + "]\n\"New\"=\"x\"\n",
     0, {old_gone, has(reg_value::sz("New", "x"), old_key)}},
    {"whitespace and default names",
     section + "  \"A\"  \t=  \"1\"  \n@ = \"d\"\n\"\"=\"e\"\n\"  B  \"=\"  2  \"\n", 0,
     {has(reg_value::sz("A", "1")), has(reg_value::sz("", "e")), has(reg_value::sz("  B  ", "  2  "))}},
  });
}

TEST_CASE("vigil-reg add/delete/query: reg.exe's refusals (issue 17, items 4, 5 and 6)") {
  std::vector<std::string> add_v{"add", key, "/v", "N"};
  auto with = [](std::vector<std::string> base, std::vector<std::string> more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
  };
  run_command_cases({
    // Item 4: REG_DWORD needs /d; REG_QWORD without /d is 0 in reg.exe.
    {"REG_DWORD without /d", with(add_v, {"/t", "REG_DWORD", "/f"}), 1, {absent("N")}, "/d"},
    {"/ve REG_DWORD without /d", {"add", key, "/ve", "/t", "REG_DWORD", "/f"}, 1, {absent("")}},
    {"REG_DWORD with empty /d", with(add_v, {"/t", "REG_DWORD", "/d", "", "/f"}), 1, {absent("N")}},
    {"REG_DWORD /d 0", with(add_v, {"/t", "REG_DWORD", "/d", "0", "/f"}), 0,
     {has(reg_value::dword("N", 0))}},
    {"REG_DWORD /d 0123 is decimal", with(add_v, {"/t", "REG_DWORD", "/d", "0123", "/f"}), 0,
     {has(reg_value::dword("N", 123))}},
    {"REG_DWORD /d -1", with(add_v, {"/t", "REG_DWORD", "/d", "-1", "/f"}), 1, {absent("N")}},
    {"REG_QWORD without /d", with(add_v, {"/t", "REG_QWORD", "/f"}), 0,
     {has(reg_value::qword("N", 0))}},
    {"REG_QWORD with empty /d", with(add_v, {"/t", "REG_QWORD", "/d", "", "/f"}), 1, {absent("N")}},
    {"REG_SZ without /d", with(add_v, {"/f"}), 0, {has(reg_value::sz("N", ""))}},
    {"REG_BINARY without /d", with(add_v, {"/t", "REG_BINARY", "/f"}), 0,
     {has(reg_value::binary("N", {}))}},
    // Item 5: any switch given twice.
    {"/t twice", with(add_v, {"/t", "REG_DWORD", "/d", "1", "/t", "REG_SZ", "/f"}), 1,
     {absent("N")}, "given twice"},
    {"/d twice", with(add_v, {"/t", "REG_DWORD", "/d", "1", "/d", "2", "/f"}), 1, {absent("N")}},
    {"/f /f", with(add_v, {"/d", "1", "/f", "/f"}), 1, {absent("N")}},
    {"/F -f", with(add_v, {"/d", "1", "/F", "-f"}), 1, {absent("N")}},
    {"/v twice", {"add", key, "/v", "N", "/v", "M", "/d", "1", "/f"}, 1, {absent("N"), absent("M")}},
    {"/ve twice", {"add", key, "/ve", "/ve", "/d", "1", "/f"}, 1, {absent("")}},
    {"/s twice in add", with(add_v, {"/t", "REG_MULTI_SZ", "/s", "#", "/s", "#", "/d", "a#b", "/f"}),
     1, {absent("N")}},
    {"/va /va", {"delete", old_key, "/va", "/va", "/f"}, 1, {old_kept}},
    {"delete /f /f", {"delete", old_key, "/f", "/f"}, 1, {old_kept}},
    {"query /s /s", {"query", key, "/s", "/s"}, 1, {}},
    // Item 6: a root with a trailing backslash, two trailing backslashes.
    {"HKLM\\", {"add", "HKLM\\", "/v", "N", "/d", "x", "/f"}, 1, {absent("N", "HKEY_LOCAL_MACHINE")},
     "names no subkey"},
    {"HKEY_LOCAL_MACHINE\\", {"add", "HKEY_LOCAL_MACHINE\\", "/v", "N", "/d", "x", "/f"}, 1,
     {absent("N", "HKEY_LOCAL_MACHINE")}},
    {"HKLM alone", {"add", "HKLM", "/v", "N", "/d", "x", "/f"}, 1,
     {absent("N", "HKEY_LOCAL_MACHINE")}, "root key"},
    {"two trailing backslashes", with({"add", key + "\\X\\\\"}, {"/v", "N", "/d", "x", "/f"}), 1,
     {absent("N", key + "\\X")}, "two backslashes"},
    {"one trailing backslash", with({"add", key + "\\X\\"}, {"/v", "N", "/d", "x", "/f"}), 0,
     {has(reg_value::sz("N", "x"), key + "\\X")}},
    {"delete a root key", {"delete", "HKLM", "/f"}, 1, {old_kept}, "root key"},
    {"query HKLM\\", {"query", "HKLM\\"}, 1, {}},
    {"query HKLM", {"query", "HKLM"}, 0, {}},
    {"a value name with a line break", with({"add", key, "/v", "a\nb"}, {"/d", "x", "/f"}), 1,
     {absent("a\nb")}},
  });
}

TEST_CASE("vigil-reg export: a plain file name, and hex(N) types round-trip (items 1 and 7)") {
  test::temp_dir dir;
  reg_tool reg{dir.path()};
  reg.seed();
  auto file = dir / "in.reg";
  test::write_file(file, header + section
                           + "\"None\"=hex(0):01,02\n\"Big\"=hex(5):00,00,00,01\n"
                             "\"Odd\"=hex(100):56,61\n\"Bin\"=hex(3):ff\n\"Link\"=hex(6):\n");
  REQUIRE(reg({"import", file.string()}).exit_code == 0);
  auto query = reg({"query", key});
  CHECK(query.out.find("    None    REG_NONE    0102\n") != std::string::npos);
  CHECK(query.out.find("    Big    REG_DWORD_BIG_ENDIAN    00000001\n") != std::string::npos);
  CHECK(query.out.find("    Odd    REG_0x100    5661\n") != std::string::npos);
  CHECK(query.out.find("    Bin    REG_BINARY    FF\n") != std::string::npos);

  // reg.exe's documented form: a file name without a directory part.
  auto cwd = dir / "cwd";
  std::filesystem::create_directories(cwd);
  auto shell = "cd '" + cwd.string() + "' && exec '" + test::program("vigil-reg").string()
               + "' --root '" + dir.path().string() + "' export 'HKLM\\SOFTWARE\\Vigil' out.reg";
  auto exported = test::run({"/bin/sh", "-c", shell});
  CAPTURE(exported.err);
  REQUIRE(exported.exit_code == 0);
  auto text = test::read_file(cwd / "out.reg");
  CHECK(text.find("\"None\"=hex(0):01,02\n") != std::string::npos);
  CHECK(text.find("\"Big\"=hex(5):00,00,00,01\n") != std::string::npos);
  CHECK(text.find("\"Odd\"=hex(100):56,61\n") != std::string::npos);
  CHECK(text.find("\"Bin\"=hex:ff\n") != std::string::npos);
  CHECK(text.find("\"Link\"=hex(6):\n") != std::string::npos);
  // Same directory, same name again: refused without /y, replaced with it.
  CHECK(test::run({"/bin/sh", "-c", shell}).exit_code == 1);
  CHECK(test::run({"/bin/sh", "-c", shell + " /y"}).exit_code == 0);

  test::temp_dir other;
  reg_tool fresh{other.path()};
  auto imported = fresh({"import", (cwd / "out.reg").string()});
  CAPTURE(imported.err);
  REQUIRE(imported.exit_code == 0);
  auto before = hive_file{reg.hive()}.load();
  auto after = hive_file{fresh.hive()}.load();
  REQUIRE(before);
  REQUIRE(after);
  CHECK(*after == *before);
}
