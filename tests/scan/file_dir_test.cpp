// The file and dir collectors over fixture trees.

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/sha256.hpp"
#include "tests/scan/scan_fixture.hpp"

using namespace vigil;
using namespace vigil::scan;
using namespace vigil::scan::test;
using nlohmann::json;
namespace fs = std::filesystem;

TEST_CASE("file: exists, type, mode, owner, size, mtime, sha256 and matching lines") {
  vigil::test::temp_dir dir;
  make_host(dir.path());
  std::string config = "Port 22\nPermitRootLogin yes\n#PermitRootLogin no\nPasswordAuthentication no\n";
  vigil::test::write_file(dir / "etc/ssh/sshd_config", config);
  fs::permissions(dir / "etc/ssh/sshd_config", fs::perms(0600));
  REQUIRE(::chown((dir / "etc/ssh/sshd_config").c_str(), 1000, 27) == 0);
  struct stat st{};
  REQUIRE(::stat((dir / "etc/ssh/sshd_config").c_str(), &st) == 0);

  auto rows = run_collector(dir.path(), {{"type", "file"},
                                         {"paths", {"/etc/ssh/sshd_config", "/etc/nothing"}},
                                         {"regex", "^\\s*Permit"}});
  REQUIRE(rows.size() == 2);
  auto v = row(rows, "file//etc/ssh/sshd_config").value();
  CHECK(v["exists"] == true);
  CHECK(v["type"] == "file");
  CHECK(v["mode"] == "0600");
  CHECK(v["uid"] == 1000);
  CHECK(v["gid"] == 27);
  CHECK(v["user"] == "alice"); // names from the root's /etc/passwd and /etc/group
  CHECK(v["group"] == "sudo");
  CHECK(v["size"] == config.size());
  CHECK(v["mtime"] == st.st_mtim.tv_sec);
  CHECK(v["sha256"] == protocol::sha256_hex(config));
  CHECK(v["lines"] == json::array({"PermitRootLogin yes"}));
  CHECK(row(rows, "file//etc/nothing").value() == json{{"exists", false}});
}

TEST_CASE("file: line cap, hash cap and options") {
  vigil::test::temp_dir dir;
  std::string many;
  for (int i = 0; i < 50; ++i)
    many += "match " + std::to_string(i) + "\n";
  vigil::test::write_file(dir / "many", many);
  vigil::test::write_file(dir / "big", std::string(5000, 'b'));
  auto rows = run_collector(dir.path(), {{"type", "file"},
                                         {"paths", {"/many", "/big"}},
                                         {"regex", "match"},
                                         {"max_lines", 3},
                                         {"max_hash_bytes", 4096}});
  auto many_row = row(rows, "file//many").value();
  CHECK(many_row["lines"] == json::array({"match 0", "match 1", "match 2"}));
  CHECK(many_row["lines_truncated"] == true);
  CHECK(many_row.contains("sha256"));
  auto big = row(rows, "file//big").value();
  CHECK(!big.contains("sha256"));
  CHECK(!big.contains("lines"));
  CHECK(big["note"] == "larger than 4096 bytes: not hashed or searched");
  CHECK(big["size"] == 5000);
  auto unhashed = run_collector(dir.path(), {{"type", "file"}, {"paths", "/many"}, {"hash", false}});
  CHECK(!row(unhashed, "file//many")->contains("sha256"));
}

TEST_CASE("file: unreadable items become rows with errors, never a crash or a hang") {
  vigil::test::temp_dir dir;
  fs::create_directories(dir / "etc/conf.d");
  vigil::test::write_file(dir / "etc/real", "real\n");
  fs::create_symlink("/etc/real", dir / "etc/link");          // absolute: under the root
  fs::create_symlink("/etc/gone", dir / "etc/dangling");
  fs::create_symlink("loop2", dir / "etc/loop1");
  fs::create_symlink("loop1", dir / "etc/loop2");
  REQUIRE(::mkfifo((dir / "etc/fifo").c_str(), 0600) == 0);
  auto start = std::chrono::steady_clock::now();
  auto rows = run_collector(dir.path(), {{"type", "file"},
                                         {"paths", {"/etc/conf.d", "/etc/link", "/etc/dangling",
                                                    "/etc/loop1", "/etc/fifo", "/etc/loop1/x",
                                                    "relative/path"}},
                                         {"regex", "."}});
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{2});
  REQUIRE(rows.size() == 7);

  auto directory = row(rows, "file//etc/conf.d").value();
  CHECK(directory["type"] == "dir"); // a directory where a file was expected: described, not read
  CHECK(!directory.contains("sha256"));

  auto link = row(rows, "file//etc/link").value();
  CHECK(link["type"] == "file");
  CHECK(link["symlink"] == "/etc/real");
  CHECK(link["sha256"] == protocol::sha256_hex("real\n"));
  CHECK(link["lines"] == json::array({"real"}));

  auto dangling = row(rows, "file//etc/dangling").value();
  CHECK(dangling["type"] == "symlink");
  CHECK(dangling["symlink"] == "/etc/gone");
  CHECK(dangling["error"] == "not_found: /etc/dangling: dangling symlink");

  auto loop = row(rows, "file//etc/loop1").value();
  CHECK(loop["error"] == "io_error: /etc/loop1: symlink loop");
  CHECK(row(rows, "file//etc/loop1/x")->at("error") == "io_error: /etc/loop1/x: symlink loop");

  auto fifo = row(rows, "file//etc/fifo").value();
  CHECK(fifo["type"] == "fifo"); // described from lstat, never opened
  CHECK(!fifo.contains("sha256"));

  CHECK(row(rows, "file/relative/path")->at("error")
        == "invalid_argument: 'relative/path': not an absolute path");
}

TEST_CASE("file: lines of password databases and host keys are never collected") {
  vigil::test::temp_dir dir;
  vigil::test::write_file(dir / "etc/shadow", "root:$6$SALT$HASH:19000::::::\n");
  vigil::test::write_file(dir / "etc/ssh/ssh_host_ed25519_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  std::filesystem::create_directories(dir / "tmp");
  std::filesystem::create_symlink("/etc/shadow", dir / "tmp/innocent");
  auto rows = run_collector(dir.path(), {{"type", "file"},
                                         {"paths", {"/etc/shadow", "/etc/ssh/ssh_host_ed25519_key",
                                                    "/tmp/innocent"}},
                                         {"regex", ".*"}});
  REQUIRE(rows.size() == 3);
  for (const auto& r : rows) {
    auto v = row(rows, r.key).value();
    CHECK(!v.contains("lines"));
    CHECK(v["note"] == "lines of a password or key file are never collected");
    CHECK(v.contains("sha256"));
    CHECK(r.value.find("HASH") == std::string::npos);
    CHECK(r.value.find("PRIVATE") == std::string::npos);
  }
}

TEST_CASE("dir: glob under the root, sorted, with depth and entry caps") {
  vigil::test::temp_dir dir;
  vigil::test::write_file(dir / "etc/cron.d/b-job", "* * * * * root true\n");
  vigil::test::write_file(dir / "etc/cron.d/a-job", "x");
  vigil::test::write_file(dir / "etc/cron.d/.hidden", "x");
  vigil::test::write_file(dir / "etc/cron.daily/logrotate", "x");
  vigil::test::write_file(dir / "etc/cron.daily/sub/deeper/file", "x");
  fs::permissions(dir / "etc/cron.d/b-job", fs::perms(0640));

  auto rows = run_collector(dir.path(), {{"type", "dir"}, {"glob", "/etc/cron.d/*"}});
  REQUIRE(rows.size() == 2); // '*' skips dot files, like glob(3)
  CHECK(rows[0].key == "dir//etc/cron.d/a-job");
  auto job = row(rows, "dir//etc/cron.d/b-job").value();
  CHECK(job == json{{"type", "file"}, {"mode", "0640"}, {"uid", 0}, {"gid", 0}, {"size", 20}});

  auto deep = run_collector(dir.path(),
                            {{"type", "dir"}, {"glob", {"/etc/cron.*", "/nothing/*"}}, {"max_depth", 1}});
  CHECK(row(deep, "dir//etc/cron.daily").value()["type"] == "dir");
  CHECK(row(deep, "dir//etc/cron.daily/sub").has_value());
  CHECK(!row(deep, "dir//etc/cron.daily/sub/deeper").has_value()); // below max_depth
  CHECK(row(deep, "dir//etc/cron.d/a-job").has_value());

  auto capped = run_collector(dir.path(),
                              {{"type", "dir"}, {"glob", "/etc/*"}, {"max_depth", 4}, {"max_entries", 3}});
  CHECK(count_prefix(capped, "dir/") == 3);
  CHECK(row(capped, "error/dir//etc/*")->at("error")
        == "too_large: more than 3 entries: listing cut");
}

TEST_CASE("dir: symlink loops are listed as links and never followed") {
  vigil::test::temp_dir dir;
  vigil::test::write_file(dir / "tree/file", "x");
  fs::create_symlink(".", dir / "tree/self");
  fs::create_symlink("/tree", dir / "tree/up");
  fs::create_symlink("b", dir / "tree/a");
  fs::create_symlink("a", dir / "tree/b");
  fs::create_symlink("/etc", dir / "tree/host-etc"); // the root's /etc, which does not exist
  auto start = std::chrono::steady_clock::now();
  auto rows = run_collector(dir.path(), {{"type", "dir"}, {"glob", "/tree"}, {"max_depth", 16}});
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{2});
  REQUIRE(rows.size() == 7);
  CHECK(row(rows, "dir//tree/self").value()["target"] == ".");
  CHECK(row(rows, "dir//tree/self").value()["type"] == "symlink");
  CHECK(row(rows, "dir//tree/up").value()["target"] == "/tree");
  CHECK(row(rows, "dir//tree/a").value()["type"] == "symlink");
  CHECK(!row(rows, "dir//tree/self/file").has_value());
  // Globbing through links resolves them under the root: a loop matches nothing.
  auto through = run_collector(dir.path(), {{"type", "dir"}, {"glob", {"/tree/self/self/f*", "/tree/a/*", "/tree/host-etc/*"}}});
  REQUIRE(through.size() == 1);
  CHECK(through[0].key == "dir//tree/self/self/file");
}
