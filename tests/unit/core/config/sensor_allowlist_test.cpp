#include "core/config/sensor_allowlist.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/unit/test_support.h"

namespace {

using soc::config::SensorAllowlist;

soc::CurveKey key_from(uint8_t first) {
  soc::CurveKey k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(first + i);
  return k;
}

struct Loaded {
  bool ok = false;
  SensorAllowlist list;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  std::string path;
  std::string rendered;  // without snippets
};

Loaded load(const soc::test::TempDir& dir, const std::string& text) {
  Loaded l;
  l.path = dir.write("allow.yaml", text);
  l.ok = soc::config::load_sensor_allowlist(l.path, l.list, l.diags, l.source);
  l.rendered = soc::render_all(l.diags);
  return l;
}

}  // namespace

TEST_CASE("allowlist loads two sensors with their decoded keys") {
  soc::test::TempDir dir;
  const std::string k1 = soc::z85_encode_key(key_from(0));
  const std::string k2 = soc::z85_encode_key(key_from(32));
  const auto l = load(dir,
                      "sites:\n"
                      "  - id: hq\n"
                      "sensors:\n"
                      "  - id: fw-01\n"
                      "    site: hq\n"
                      "    kind: packet\n"
                      "    public_key: \"" + k1 + "\"\n"
                      "  - id: log-01\n"
                      "    site: branch\n"
                      "    name: Log sensor\n"
                      "    description: the syslog box\n"
                      "    public_key: \"" + k2 + "\"\n");
  CAPTURE(l.rendered);
  REQUIRE(l.ok);
  CHECK(l.diags.empty());
  REQUIRE(l.list.sensors.size() == 2);
  const auto& a = l.list.sensors[0];
  CHECK(a.id == "fw-01");
  CHECK(a.site == "hq");
  CHECK(a.kind == "packet");
  CHECK(a.public_key_z85 == k1);
  CHECK(a.public_key == key_from(0));
  const auto& b = l.list.sensors[1];
  CHECK(b.id == "log-01");
  CHECK(b.site == "branch");
  CHECK(b.kind == "");
  CHECK(b.public_key == key_from(32));
  CHECK(l.source.find("sensors:") != std::string::npos);
}

TEST_CASE("allowlist reports every mistake of a file at once with line, column and code") {
  soc::test::TempDir dir;
  const std::string k1 = soc::z85_encode_key(key_from(0));
  const std::string k2 = soc::z85_encode_key(key_from(32));
  const std::string k3 = soc::z85_encode_key(key_from(64));
  const auto l = load(dir,
                      "sensors:\n"                                       // 1
                      "  - id: a\n"                                      // 2
                      "    site: s\n"                                    // 3
                      "    public_key: \"" + k1 + "\"\n"                 // 4
                      "    colour: red\n"                                // 5  unknown key
                      "  - site: s\n"                                    // 6  missing id
                      "    public_key: \"" + k2 + "\"\n"                 // 7
                      "  - id: c\n"                                      // 8  missing public_key
                      "    site: s\n"                                    // 9
                      "  - id: d\n"                                      // 10
                      "    site: s\n"                                    // 11
                      "    public_key: not-a-key\n"                      // 12 bad key
                      "  - id: a\n"                                      // 13 duplicate id
                      "    site: s\n"                                    // 14
                      "    public_key: \"" + k3 + "\"\n"                 // 15
                      "  - id: e\n"                                      // 16
                      "    site: s\n"                                    // 17
                      "    public_key: \"" + k1 + "\"\n"                 // 18 duplicate key
                      "  - just a string\n"                              // 19 not a map
                      "  - id: [x, y]\n"                                 // 20 bad value
                      "    site: \"\"\n"                                 // 21 bad value
                      "    public_key: \"" + k2.substr(0, 39) + "\"\n"   // 22 bad key (39 characters)
                      "  - kind: log\n");                                // 23 missing id, site and key
  CHECK_FALSE(l.ok);
  const std::string p = l.path;
  CHECK(l.rendered ==
        p + ":5:5: error[allowlist.unknown_key]: unknown key 'colour' (known keys: id, site, kind, public_key, name, description)\n" +
        p + ":6:5: error[allowlist.missing_field]: sensor without 'id'\n" +
        p + ":8:5: error[allowlist.missing_field]: sensor without 'public_key'\n" +
        p + ":12:17: error[allowlist.bad_key]: public_key must be a CURVE public key: 40 characters of Z85 (socctl keygen writes one)\n" +
        p + ":13:9: error[allowlist.duplicate_id]: sensor id 'a' is already defined at line 2\n" +
        p + ":18:17: error[allowlist.duplicate_key]: this public key is already bound to the sensor at line 2; a key binds one sensor\n" +
        p + ":19:5: error[allowlist.not_a_map]: each sensor must be a map with id, site and public_key\n" +
        p + ":20:9: error[allowlist.bad_value]: 'id' must be a non-empty string\n" +
        p + ":21:11: error[allowlist.bad_value]: 'site' must be a non-empty string\n" +
        p + ":22:17: error[allowlist.bad_key]: public_key must be a CURVE public key: 40 characters of Z85 (socctl keygen writes one)\n" +
        p + ":20:5: error[allowlist.missing_field]: sensor without 'id'\n" +
        p + ":20:5: error[allowlist.missing_field]: sensor without 'site'\n" +
        p + ":23:5: error[allowlist.missing_field]: sensor without 'id'\n" +
        p + ":23:5: error[allowlist.missing_field]: sensor without 'site'\n" +
        p + ":23:5: error[allowlist.missing_field]: sensor without 'public_key'\n");
  // The valid sensor (and the first binding of each id and key) is still reported as loaded.
  REQUIRE(l.list.sensors.size() == 1);
  CHECK(l.list.sensors[0].id == "a");
}

TEST_CASE("allowlist diagnostics render with the offending line and a caret") {
  soc::test::TempDir dir;
  const auto l = load(dir, "sensors:\n  - id: a\n    site: s\n    pubkey: abc\n");
  CHECK_FALSE(l.ok);
  REQUIRE(l.diags.size() == 2);
  CHECK(soc::render(l.diags[0], l.source) ==
        l.path + ":4:5: error[allowlist.unknown_key]: unknown key 'pubkey' (known keys: id, site, kind, public_key, "
                 "name, description)\n"
                 "        pubkey: abc\n"
                 "        ^");
  CHECK(soc::render(l.diags[1], l.source) ==
        l.path + ":2:5: error[allowlist.missing_field]: sensor without 'public_key'\n"
                 "      - id: a\n"
                 "        ^");
}

TEST_CASE("allowlist refuses a sensors section that is not a list") {
  soc::test::TempDir dir;
  const auto l = load(dir, "sensors:\n  id: a\n");
  CHECK_FALSE(l.ok);
  CHECK(l.rendered == l.path + ":2:3: error[allowlist.not_a_list]: 'sensors' must be a list\n");
  const auto scalar = load(dir, "sensors: everything\n");
  CHECK(scalar.rendered == scalar.path + ":1:10: error[allowlist.not_a_list]: 'sensors' must be a list\n");
}

TEST_CASE("allowlist refuses a file without a sensors list or that is not a map") {
  soc::test::TempDir dir;
  const auto none = load(dir, "sites: []\n");
  CHECK_FALSE(none.ok);
  CHECK(none.rendered == none.path + ":1:1: error[allowlist.missing_sensors]: no 'sensors' list\n");
  const auto list = load(dir, "- a\n- b\n");
  CHECK_FALSE(list.ok);
  CHECK(list.rendered == list.path + ":1:1: error[allowlist.not_a_map]: expected a map with a 'sensors' list\n");
  const auto empty = load(dir, "");
  CHECK_FALSE(empty.ok);
  REQUIRE(empty.diags.size() == 1);
  CHECK(empty.diags[0].code == "allowlist.not_a_map");
}

TEST_CASE("allowlist reports a YAML syntax error with its position") {
  soc::test::TempDir dir;
  const auto l = load(dir, "sensors:\n  - id: a\n    site: [s\n");
  CHECK_FALSE(l.ok);
  REQUIRE(l.diags.size() == 1);
  const auto& d = l.diags[0];
  CHECK(d.code == "yaml.syntax");
  CHECK(d.file == l.path);
  CHECK(d.line == 4);
  CHECK(d.column == 1);
  CHECK_FALSE(d.message.empty());
  CHECK(l.rendered == l.path + ":4:1: error[yaml.syntax]: " + d.message + "\n");

  const auto tab = load(dir, "sensors:\n  - id: a\n\t site: s\n");
  REQUIRE(tab.diags.size() == 1);
  CHECK(tab.diags[0].code == "yaml.syntax");
  CHECK(tab.diags[0].line == 3);
}

TEST_CASE("allowlist reports a file it cannot read without a position") {
  soc::test::TempDir dir;
  SensorAllowlist list;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  const std::string path = (dir.path() / "missing.yaml").string();
  CHECK_FALSE(soc::config::load_sensor_allowlist(path, list, diags, source));
  CHECK(soc::render_all(diags) == path + ": error[allowlist.unreadable]: cannot read the file: No such file or directory\n");
}

TEST_CASE("allowlist appends to diagnostics it is given and judges only its own") {
  soc::test::TempDir dir;
  const std::string path = dir.write("allow.yaml", "sensors:\n  - id: a\n    site: s\n    public_key: \"" +
                                                       soc::z85_encode_key(key_from(1)) + "\"\n");
  SensorAllowlist list;
  std::vector<soc::Diagnostic> diags{{"other.yaml", 1, 1, "x", "earlier problem"}};
  std::string source;
  CHECK(soc::config::load_sensor_allowlist(path, list, diags, source));
  CHECK(diags.size() == 1);
  CHECK(list.sensors.size() == 1);
}
