#include "core/url.h"

#include <doctest/doctest.h>

#include <string>

using soc::normalize_url;

TEST_CASE("a plain URL keeps its path and query") {
  auto n = normalize_url("/dvc/tra-cuu?ma=123&nam=2026");
  CHECK(n.path == "/dvc/tra-cuu");
  CHECK(n.query == "ma=123&nam=2026");
  CHECK(n.has_query);
  CHECK(n.decoded == "/dvc/tra-cuu?ma=123&nam=2026");
}

TEST_CASE("encoded slashes, double encoding and escapes of either case give the same path") {
  for (const char* spelling : {"/etc/passwd", "/%2fetc%2fpasswd", "/%2Fetc%2Fpasswd", "/%252fetc%252fpasswd",
                               "/%65%74%63/passwd", "//etc//passwd", "/./etc/./passwd", "\\etc\\passwd",
                               "/%5cetc%5cpasswd"}) {
    CAPTURE(spelling);
    CHECK(normalize_url(spelling).path == "/etc/passwd");
  }
}

TEST_CASE("dot segments are resolved in the path and kept in the decoded request") {
  auto n = normalize_url("/static/..%2f..%2f..%2fetc/passwd");
  CHECK(n.path == "/etc/passwd");
  CHECK(n.decoded == "/static/../../../etc/passwd");
  auto d = normalize_url("/images/%252e%252e/%252e%252e/app/config.php");
  CHECK(d.path == "/app/config.php");
  CHECK(d.decoded == "/images/../../app/config.php");
  CHECK(normalize_url("/a/b/../c/").path == "/a/c/");
  CHECK(normalize_url("/a/..").path == "/");
  CHECK(normalize_url("/manager/..;/html").path == "/html");
  CHECK(normalize_url("/..\\..\\windows\\win.ini").decoded == "/../../windows/win.ini");
}

TEST_CASE("the query is decoded with '+' as a space, twice at most") {
  auto n = normalize_url("/search?q=%3Cscript%3Ealert(1)%3C/script%3E&x=a+b");
  CHECK(n.query == "q=<script>alert(1)</script>&x=a b");
  CHECK(normalize_url("/s?q=%253Csvg%2520onload%253D1%253E").query == "q=<svg onload=1>");
  // A third level of encoding is left as the second round leaves it.
  CHECK(normalize_url("/s?q=%25253C").query == "q=%3C");
  // '+' that was encoded (%2B) stays a plus.
  CHECK(normalize_url("/s?a=1%2B1").query == "a=1+1");
  // In the path, '+' is a plus.
  CHECK(normalize_url("/a+b").path == "/a+b");
  CHECK(normalize_url("/foo?a=%20union%20all%20select%20").query == "a= union all select ");
}

TEST_CASE("NUL and broken escapes stay as written") {
  CHECK(normalize_url("/etc/passwd%00.jpg").path == "/etc/passwd%00.jpg");
  CHECK(normalize_url("/a%zz%4").path == "/a%zz%4");
  CHECK(normalize_url("/100%").path == "/100%");
  CHECK(normalize_url("").path.empty());
}

TEST_CASE("an absolute URL is reduced to its path; a fragment is dropped") {
  CHECK(normalize_url("http://example.org/a/../b?c=d").path == "/b");
  CHECK(normalize_url("http://example.org").path == "/");
  CHECK(normalize_url("/page#top").path == "/page");
  CHECK(normalize_url("/redirect?to=http://evil.example/x").path == "/redirect");
  CHECK(normalize_url("*").path == "/*");
}

TEST_CASE("a hostile URL costs linear time") {
  std::string big(200000, '/');
  big += std::string(100000, '.');
  for (int i = 0; i < 20000; ++i) big += "/..";
  for (int i = 0; i < 30000; ++i) big += "%25";
  auto n = normalize_url(big);
  CHECK(!n.path.empty());
  CHECK(n.path.size() <= big.size());
}

TEST_CASE("normalizing into a reused NormalizedUrl gives what a fresh one gives") {
  soc::NormalizedUrl reused;
  for (const char* url : {"/a/b/../c?x=%2541+y", "/", "relative/%2e%2e/x", "/only/path", "http://h/a?", "/%zz/..;p/q",
                          "/a/b/c/d/e/f/g/h/i/j/../../../../..", "/q?%2B%2b+"}) {
    CAPTURE(url);
    soc::normalize_url(url, reused);
    const auto fresh = normalize_url(url);
    CHECK(reused.path == fresh.path);
    CHECK(reused.query == fresh.query);
    CHECK(reused.has_query == fresh.has_query);
    CHECK(reused.decoded == fresh.decoded);
  }
}
