#include "core/config/yaml_util.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/unit/test_support.h"

TEST_CASE("load_yaml parses a document and leaves diagnostics alone") {
  YAML::Node root;
  std::vector<soc::Diagnostic> diags;
  REQUIRE(soc::config::load_yaml("f.yaml", "a: 1\nb: [x, y]\n", root, diags));
  CHECK(diags.empty());
  CHECK(root["a"].as<int>() == 1);
  CHECK(root["b"].size() == 2);
}

TEST_CASE("load_yaml turns a syntax error into a diagnostic instead of throwing") {
  YAML::Node root;
  std::vector<soc::Diagnostic> diags;
  CHECK_FALSE(soc::config::load_yaml("f.yaml", "a: [1, 2\n", root, diags));
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].file == "f.yaml");
  CHECK(diags[0].code == "yaml.syntax");
  CHECK(diags[0].line >= 1);
  CHECK(diags[0].column >= 1);
  CHECK_FALSE(diags[0].message.empty());
}

TEST_CASE("load_yaml_all reads every document of a stream") {
  std::vector<YAML::Node> docs;
  std::vector<soc::Diagnostic> diags;
  REQUIRE(soc::config::load_yaml_all("f.yaml", "a: 1\n---\nb: 2\n---\nc: 3\n", docs, diags));
  REQUIRE(docs.size() == 3);
  CHECK(docs[2]["c"].as<int>() == 3);
  CHECK_FALSE(soc::config::load_yaml_all("f.yaml", "a: 1\n---\nb: {\n", docs, diags));
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].code == "yaml.syntax");
}

TEST_CASE("load_yaml_all refuses a stream on which yaml-cpp's LoadAll would never end") {
  // A stray ',' opening a top-level line: yaml-cpp 0.7 returns empty documents for it without
  // end, and LoadAll kept them until memory ran out (found by the rule loader's fuzz test).
  for (const char* text : {"# c\n, su/PAM)\ntitle: x\n", ",\n", "a: 1\n---\n, x\n"}) {
    std::vector<YAML::Node> docs;
    std::vector<soc::Diagnostic> diags;
    CHECK_FALSE(soc::config::load_yaml_all("r.yml", text, docs, diags));
    REQUIRE(diags.size() == 1);
    CHECK(diags[0].code == "yaml.syntax");
    CHECK(diags[0].column == 1);
  }
  // Empty documents between separators are documents, not a loop.
  std::vector<YAML::Node> docs;
  std::vector<soc::Diagnostic> diags;
  REQUIRE(soc::config::load_yaml_all("r.yml", "---\n---\na: 1\n---\n", docs, diags));
  CHECK(diags.empty());
  CHECK(docs.size() >= 2);
}

TEST_CASE("diag_at converts yaml-cpp's 0-based marks to 1-based line and column") {
  YAML::Node root;
  std::vector<soc::Diagnostic> diags;
  REQUIRE(soc::config::load_yaml("f.yaml", "top:\n  inner: value\n", root, diags));
  const auto d = soc::config::diag_at("f.yaml", root["top"]["inner"], "x.code", "message");
  CHECK(d.file == "f.yaml");
  CHECK(d.line == 2);
  CHECK(d.column == 10);
  CHECK(d.code == "x.code");
  CHECK(d.message == "message");
  YAML::Mark unknown = YAML::Mark::null_mark();
  const auto none = soc::config::diag_at("f.yaml", unknown, "c", "m");
  CHECK(none.line == 0);
  CHECK(none.column == 0);
}

TEST_CASE("read_file reads a whole file, binary bytes included, and fails on a missing one") {
  soc::test::TempDir dir;
  const std::string text = std::string("a\0b\r\n\xff", 6);
  const std::string path = dir.write("f.bin", text);
  std::string out;
  REQUIRE(soc::config::read_file(path, out));
  CHECK(out == text);
  CHECK_FALSE(soc::config::read_file((dir.path() / "none").string(), out));
}

TEST_CASE("read_file_bounded refuses a file larger than its limit without reading it") {
  soc::test::TempDir dir;
  const auto path = dir.write("big.yml", std::string(5000, 'x'));
  std::string out;
  auto d = soc::config::read_file_bounded(path, out, 4096, "file.unreadable");
  REQUIRE(d.has_value());
  CHECK(soc::render(*d) == path + ": error[file.too_large]: the file is 5,000 bytes, more than the 4 KiB a file of "
                                   "this kind may have; it was not read");
  CHECK(out.empty());
  CHECK_FALSE(soc::config::read_file_bounded(path, out, 5000, "file.unreadable").has_value());
  CHECK(out.size() == 5000);
}

TEST_CASE("read_file_bounded stops one byte past the limit on a stream of unknown size") {
  std::string out;
  auto d = soc::config::read_file_bounded("/dev/zero", out, 1 << 20, "file.unreadable");
  REQUIRE(d.has_value());
  CHECK(d->code == "file.too_large");
  CHECK(d->message == "the file is larger than 1 MiB, more than the 1 MiB a file of this kind may have; it was not read");
}

TEST_CASE("read_file_bounded names the system's reason when a file cannot be read") {
  soc::test::TempDir dir;
  std::string out;
  auto d = soc::config::read_file_bounded((dir.path() / "none").string(), out, 10, "x.unreadable");
  REQUIRE(d.has_value());
  CHECK(d->code == "x.unreadable");
  CHECK(d->message == "cannot read the file: No such file or directory");
  auto dir_d = soc::config::read_file_bounded(dir.path().string(), out, 10, "x.unreadable");
  REQUIRE(dir_d.has_value());
  CHECK(dir_d->message == "cannot read the file: Is a directory");
  CHECK(soc::config::describe_size(52'428'800) == "50 MiB");
  CHECK(soc::config::describe_size(1'234'567) == "1,234,567 bytes");
}
