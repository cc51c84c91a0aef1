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

TEST_CASE("render quotes a short escaped excerpt of a huge line, with the caret under the column") {
  // A 50 MB line would otherwise be printed whole (issue 16); the excerpt is bounded.
  std::string line(5'000'000, 'a');
  line[2'500'000] = 'X';
  const soc::Diagnostic d{"r.yml", 1, 2'500'001, "yaml.syntax", "bad"};
  const std::string out = soc::render(d, line + "\n");
  CHECK(out.size() < 400);
  const std::string quoted = out.substr(out.find('\n') + 1, out.rfind('\n') - out.find('\n') - 1);
  const std::string caret = out.substr(out.rfind('\n') + 1);
  CHECK(quoted.substr(0, 7) == "    ...");
  CHECK(quoted.substr(quoted.size() - 3) == "...");
  CHECK(quoted.size() <= 4 + 3 + soc::kDiagnosticSnippetColumns + 3);
  REQUIRE(caret.size() <= quoted.size());
  CHECK(caret.back() == '^');
  CHECK(quoted[caret.size() - 1] == 'X');
}

TEST_CASE("render escapes control characters, invalid UTF-8 and bidi overrides, and keeps the caret aligned") {
  const std::string source = std::string("a\tb\x1b[2Jc\xff") + "\xe2\x80\xae" + "d: Cổng\n";
  const soc::Diagnostic d{"f.yaml", 1, 13, "c", "m"};  // byte 12: 'd'
  CHECK(soc::render(d, source) ==
        "f.yaml:1:13: error[c]: m\n"
        "    a\\tb\\x1b[2Jc\\xff\\u{202e}d: Cổng\n"
        "    " + std::string(24, ' ') + "^");
}

TEST_CASE("render bounds and escapes the message and the file name") {
  const soc::Diagnostic d{"evil\nname.yml", 0, 0, "rule.bad_value", std::string(100'000, 'v') + "\n"};
  const std::string out = soc::render(d);
  CHECK(out.find('\n') == std::string::npos);
  CHECK(out.rfind("evil\\nname.yml: error[rule.bad_value]: vvv", 0) == 0);
  CHECK(out.find("... (99489 more bytes)") != std::string::npos);
  CHECK(out.size() < 600);
}

TEST_CASE("an excerpt of a short line is the whole line") {
  const soc::Snippet s = soc::excerpt("key: value", 5, 120);
  CHECK(s.text == "key: value");
  CHECK(s.caret_column == 5);
  const soc::Snippet end = soc::excerpt("ab", 10, 120);
  CHECK(end.text == "ab");
  CHECK(end.caret_column == 2);
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
