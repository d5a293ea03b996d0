// glob_match on Windows (scan/windows/glob_match.cpp): the fnmatch(3) grammar
// the collectors use on POSIX.
#include "scan/glob_match.hpp"

#include <doctest/doctest.h>

using vigil::scan::glob_flags;
using vigil::scan::glob_match;

TEST_CASE("glob_match (Windows): wildcards, brackets and escapes") {
  glob_flags none{};
  CHECK(glob_match("*", "anything", none));
  CHECK(glob_match("*", "", none));
  CHECK(glob_match("a*c", "abbbc", none));
  CHECK(glob_match("a*c", "ac", none));
  CHECK(!glob_match("a*c", "abd", none));
  CHECK(glob_match("a?c", "abc", none));
  CHECK(!glob_match("a?c", "ac", none));
  CHECK(glob_match("*.conf", "sshd.conf", none));
  CHECK(!glob_match("*.conf", "sshd.conf.bak", none));
  CHECK(glob_match("*a*b*", "xxaxxbxx", none));
  CHECK(glob_match("[abc]x", "bx", none));
  CHECK(!glob_match("[abc]x", "dx", none));
  CHECK(glob_match("[a-c]", "b", none));
  CHECK(glob_match("[!a-c]", "d", none));
  CHECK(glob_match("[^a-c]", "d", none));
  CHECK(!glob_match("[!a-c]", "a", none));
  CHECK(glob_match("[]]", "]", none));
  CHECK(glob_match("[", "[", none)); // no closing bracket: a literal
  CHECK(glob_match("\\*", "*", none));
  CHECK(!glob_match("\\*", "a", none));
  CHECK(!glob_match("abc", "abcd", none));
  CHECK(!glob_match("abcd", "abc", none));
}

TEST_CASE("glob_match (Windows): pathname and period, as FNM_PATHNAME and FNM_PERIOD") {
  CHECK(glob_match("*", "a/b", {}));
  CHECK(!glob_match("*", "a/b", {.pathname = true}));
  CHECK(!glob_match("a?b", "a/b", {.pathname = true}));
  CHECK(!glob_match("a[/]b", "a/b", {.pathname = true}));
  CHECK(glob_match("/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_rsa_key", {.pathname = true}));
  CHECK(!glob_match("/etc/ssh/ssh_host_*_key", "/etc/ssh/ssh_host_rsa_key.pub",
                    {.pathname = true}));
  CHECK(!glob_match("/etc/*", "/etc/a/b", {.pathname = true}));
  CHECK(glob_match("*", ".hidden", {}));
  CHECK(!glob_match("*", ".hidden", {.period = true}));
  CHECK(!glob_match("?hidden", ".hidden", {.period = true}));
  CHECK(glob_match(".*", ".hidden", {.period = true}));
  CHECK(glob_match("a*", "a.b", {.period = true})); // only a leading period
}
