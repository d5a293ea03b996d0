#include "common/redact.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

using vigil::redact;
using vigil::register_secret;

TEST_CASE("redact: ordinary lines pass through unchanged") {
  for (std::string_view line :
       {"", "scan of Inventory finished in 42 ms", "keyboard layout: us",
        "token: expired, requesting a new one", "connecting to https://platform:8443/CloudAgent/",
        "reading /proc/self/status", "bypass list: localhost;127.0.0.1",
        "a != b", "ratio=0.5 count=3", "user@example.com sent 3 bytes"})
    CHECK(redact(line) == line);
}

TEST_CASE("redact: registered secrets are hidden wherever they appear") {
  register_secret("Zq7-reg-secret-1");
  CHECK(redact("pw is Zq7-reg-secret-1 and again Zq7-reg-secret-1.") ==
        "pw is *** and again ***.");
  CHECK(redact("prefixZq7-reg-secret-1suffix") == "prefix***suffix");
  // Its percent-encoded form too, as it appears inside URLs.
  register_secret("p@ss w0rd!Xy");
  CHECK(redact("GET /x?q=p%40ss%20w0rd%21Xy HTTP/1.1") == "GET /x?q=*** HTTP/1.1");
  CHECK(redact("said p@ss w0rd!Xy") == "said ***");
  // Registering twice or an empty string is harmless.
  register_secret("Zq7-reg-secret-1");
  register_secret("");
  CHECK(redact("nothing here") == "nothing here");
}

TEST_CASE("redact: overlapping secrets leave no fragment") {
  register_secret("ovl-abcdef");
  register_secret("defghi-ovl");
  CHECK(redact("[ovl-abcdefghi-ovl]") == "[***]");
}

TEST_CASE("redact: credential assignments are masked without registration") {
  CHECK(redact("password=hunter2 next") == "password=*** next");
  CHECK(redact("PassWord=hunter2") == "PassWord=***");
  CHECK(redact("passwd=a1;pwd=b2&token=c3,secret=d4") == "passwd=***;pwd=***&token=***,secret=***");
  CHECK(redact("vigil-uninstall SPFKEY=abc.def Force=True") == "vigil-uninstall SPFKEY=*** Force=True");
  CHECK(redact("apikey=k1 api_key=k2 key=k3") == "apikey=*** api_key=*** key=***");
  CHECK(redact("ProxyPassword=s3cr3t CustomerId={1234}") == "ProxyPassword=*** CustomerId={1234}");
  CHECK(redact("https://h/p?user=bob&access_token=xyz&x=1") == "https://h/p?user=bob&access_token=***&x=1");
  CHECK(redact("password = spaced") == "password = ***");
  CHECK(redact("password=\"two words\" tail") == "password=\"***\" tail");
  CHECK(redact("password='it\\'s' tail") == "password='***' tail");
  CHECK(redact("password= ") == "password= ");
}

TEST_CASE("redact: a registry key path named key= is kept") {
  CHECK(redact("key=HKLM\\SOFTWARE\\Vigil\\VigilAgent\\Logs") ==
        "key=HKLM\\SOFTWARE\\Vigil\\VigilAgent\\Logs");
  CHECK(redact("password=HKLM\\x") == "password=***");
}

TEST_CASE("redact: JSON credential fields are masked") {
  CHECK(redact(R"({"user":"bob","password":"hunter2","n":1})") ==
        R"({"user":"bob","password":"***","n":1})");
  CHECK(redact(R"({"token" : "abc", "Secret":"x\"y"})") == R"({"token" : "***", "Secret":"***"})");
  CHECK(redact(R"({"agent_token":12345})") == R"({"agent_token":***})");
  CHECK(redact(R"({"authorization": "Bearer eyJ.abc"})") == R"({"authorization": "Bearer ***"})");
  // JSON quoted inside a string, as in a logged request body.
  CHECK(redact(R"(body="{\"password\":\"hunter2\"}")") == R"(body="{\"password\":\"***\"}")");
}

TEST_CASE("redact: Authorization headers keep the scheme and hide the credential") {
  CHECK(redact("Authorization: Basic dXNlcjpwYXNz") == "Authorization: Basic ***");
  CHECK(redact("authorization: bearer abc.def-ghi") == "authorization: bearer ***");
  CHECK(redact("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic dXM6cHc=\r\nHost: h:443\r\n") ==
        "CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic ***\r\nHost: h:443\r\n");
  CHECK(redact("Authorization: Digest username=\"u\", response=\"abc\"\nnext") ==
        "Authorization: Digest ***\nnext");
  CHECK(redact("Authorization: rawcredential") == "Authorization: ***");
  CHECK(redact("X-Auth-Token: t0k3n") == "X-Auth-Token: ***");
  CHECK(redact("sent Bearer abc123, waiting") == "sent Bearer ***, waiting");
}

TEST_CASE("redact: URL userinfo passwords are masked, users and hosts kept") {
  CHECK(redact("proxy http://alice:pw1@proxy.local:3128 failed") ==
        "proxy http://alice:***@proxy.local:3128 failed");
  CHECK(redact("https://u:p@ss@h/x") == "https://u:***@h/x");
  CHECK(redact("http://a:1@p1:80;http://b:2@p2:80") == "http://a:***@p1:80;http://b:***@p2:80");
  CHECK(redact("http://onlyuser@h:80/") == "http://onlyuser@h:80/");
  CHECK(redact("\"http://u:x%40y@h\"") == "\"http://u:***@h\"");
}

TEST_CASE("redact: vigil-proxy /p arguments are masked, quoted or not") {
  CHECK(redact("vigil-proxy /u http://p:8080 /n bob /p hunter2") ==
        "vigil-proxy /u http://p:8080 /n bob /p ***");
  CHECK(redact("vigil-proxy /u http://p:8080 /n bob /p \"pass \\\" word\" /t off") ==
        "vigil-proxy /u http://p:8080 /n bob /p \"***\" /t off");
  CHECK(redact("vigil-proxy /P Secret1 /u x") == "vigil-proxy /P *** /u x");
  CHECK(redact(R"(args ["/u", "http://p:1", "/p", "hunter2"])") ==
        R"(args ["/u", "http://p:1", "/p", "***"])");
  CHECK(redact("/p x") == "/p ***");
  CHECK(redact("/pem/file and /p") == "/pem/file and /p");
}

TEST_CASE("redact: redacting twice changes nothing more") {
  register_secret("idem-secret-77");
  for (std::string_view line :
       {"password=a b token=\"c\"", "Authorization: Basic Zm9v", "http://u:v@h", "/p \"x y\"",
        "x idem-secret-77 y", R"({"secret":"s"})"}) {
    auto once = redact(line);
    CHECK(once != line);
    CHECK(redact(once) == once);
  }
}

TEST_CASE("redact: registration and redaction are safe from many threads") {
  std::atomic<int> leaks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &leaks] {
      for (int i = 0; i < 200; ++i) {
        auto secret = "thr" + std::to_string(t) + "-" + std::to_string(i) + "-secret";
        register_secret(secret);
        if (redact("value " + secret + " end").find(secret) != std::string::npos)
          ++leaks;
      }
    });
  for (auto& thread : threads)
    thread.join();
  CHECK(leaks.load() == 0);
  CHECK(redact("thr3-199-secret") == "***");
}
