#include "core/diagnostic.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

TEST_CASE("render puts the caret under the exact column of the offending line") {
  const std::string source = "sensors:\n  - pubkey: abc\n    site: hq\n";
  const soc::Diagnostic d{"allow.yaml", 2, 5, "allowlist.unknown_key", "unknown key 'pubkey'"};
  CHECK(soc::render(d, source) ==
        "allow.yaml:2:5: error[allowlist.unknown_key]: unknown key 'pubkey'\n"
        "      - pubkey: abc\n"
        "        ^");
}

TEST_CASE("render puts the caret of column 1 under the first character") {
  const soc::Diagnostic d{"f.yaml", 1, 1, "c", "m"};
  CHECK(soc::render(d, "abc") == "f.yaml:1:1: error[c]: m\n    abc\n    ^");
}

TEST_CASE("render of column 0 puts the caret at the start of the line") {
  const soc::Diagnostic d{"f.yaml", 1, 0, "c", "m"};
  CHECK(soc::render(d, "abc\n") == "f.yaml:1:0: error[c]: m\n    abc\n    ^");
}

TEST_CASE("render shows the last line of a file without a final newline") {
  const soc::Diagnostic d{"f.yaml", 3, 3, "c", "m"};
  CHECK(soc::render(d, "a\nb\nxyz") == "f.yaml:3:3: error[c]: m\n    xyz\n      ^");
}

TEST_CASE("render drops the carriage return of a CRLF line") {
  const soc::Diagnostic d{"f.yaml", 2, 2, "c", "m"};
  CHECK(soc::render(d, "a: 1\r\nbc: 2\r\n") == "f.yaml:2:2: error[c]: m\n    bc: 2\n     ^");
}

TEST_CASE("render of line 0 names the file without a position or snippet") {
  const soc::Diagnostic d{"allow.yaml", 0, 0, "allowlist.unreadable", "cannot read the file"};
  CHECK(soc::render(d) == "allow.yaml: error[allowlist.unreadable]: cannot read the file");
  CHECK(soc::render(d, "some: text\n") == "allow.yaml: error[allowlist.unreadable]: cannot read the file");
}

TEST_CASE("render without source text omits the snippet") {
  const soc::Diagnostic d{"f.yaml", 4, 7, "config.unknown_key", "unknown key 'x'"};
  CHECK(soc::render(d) == "f.yaml:4:7: error[config.unknown_key]: unknown key 'x'");
}

TEST_CASE("render omits the snippet when the line is beyond the end of the source") {
  const soc::Diagnostic d2{"f.yaml", 2, 1, "c", "m"};
  CHECK(soc::render(d2, "only one line\n") == "f.yaml:2:1: error[c]: m");
  const soc::Diagnostic d9{"f.yaml", 9, 1, "c", "m"};
  CHECK(soc::render(d9, "a\nb\n") == "f.yaml:9:1: error[c]: m");
}

TEST_CASE("render shows an empty line with the caret") {
  const soc::Diagnostic d{"f.yaml", 2, 1, "c", "m"};
  CHECK(soc::render(d, "a\n\nb\n") == "f.yaml:2:1: error[c]: m\n    \n    ^");
}

TEST_CASE("render_all writes every diagnostic followed by a newline") {
  const std::string source = "a: 1\nb: 2\n";
  const std::vector<soc::Diagnostic> diags{
      {"f.yaml", 1, 1, "x.one", "first"},
      {"f.yaml", 0, 0, "x.two", "second"},
      {"f.yaml", 2, 4, "x.three", "third"},
  };
  CHECK(soc::render_all(diags, source) ==
        "f.yaml:1:1: error[x.one]: first\n    a: 1\n    ^\n"
        "f.yaml: error[x.two]: second\n"
        "f.yaml:2:4: error[x.three]: third\n    b: 2\n       ^\n");
  CHECK(soc::render_all(diags) ==
        "f.yaml:1:1: error[x.one]: first\nf.yaml: error[x.two]: second\nf.yaml:2:4: error[x.three]: third\n");
  CHECK(soc::render_all({}) == "");
}

TEST_CASE("render from indexed lines gives the same text as from the source, in any line order") {
  const std::string source = "a: 1\r\n\nxyz\nlast";
  const soc::SourceLines lines(source);
  for (int line : {4, 1, 3, 2, 5, 0, 3}) {
    const soc::Diagnostic d{"f.yaml", line, 2, "c", "m"};
    CHECK(soc::render(d, lines) == soc::render(d, source));
  }
  std::string_view text;
  CHECK(lines.line(4, text));
  CHECK(text == "last");
  CHECK_FALSE(lines.line(5, text));
  CHECK_FALSE(soc::SourceLines("").line(1, text));
}
