#include <doctest/doctest.h>
#include <fmt/core.h>

#include <random>
#include <string>
#include <vector>

#include "core/config/sensor_allowlist.h"
#include "core/config/yaml_util.h"
#include "daemon/inventory/loader.h"
#include "tests/unit/test_support.h"

namespace {

namespace inv = soc::daemon::inventory;

std::string key_text(uint8_t first) {
  soc::CurveKey k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(first + i);
  return soc::z85_encode_key(k);
}

struct Loaded {
  bool ok = false;
  inv::Inventory inventory;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  std::string path;
  std::string rendered;  // without snippets
};

Loaded load(const soc::test::TempDir& dir, const std::string& text) {
  Loaded l;
  l.path = dir.write("inventory.yaml", text);
  l.ok = inv::load_inventory(l.path, l.inventory, l.diags, l.source);
  l.rendered = soc::render_all(l.diags);
  return l;
}

const std::string kValid =
    "sites:\n"
    "  - {id: dc-hatinh, name: \"Trung tâm dữ liệu tỉnh\", kind: datacenter}\n"
    "  - {id: xa-camxuyen, name: \"UBND xã Cẩm Xuyên\", kind: commune}\n"
    "systems:\n"
    "  - {id: dvc-portal, name: \"Cổng dịch vụ công\", level: 3, sites: [dc-hatinh, xa-camxuyen],\n"
    "     assets: [fw-dc-1], owner: \"Sở KH&CN\", approved: 2025-06-01, last_assessment: 2026-01-15}\n"
    "assets:\n"
    "  - id: fw-dc-1\n"
    "    site: dc-hatinh\n"
    "    kind: firewall\n"
    "    vendor: Fortinet\n"
    "    model: FG-200F\n"
    "    address: 10.0.0.1\n"
    "    licenses:\n"
    "      - {kind: support, expires: 2026-12-31, temporary: false}\n"
    "      - {kind: signatures, expires: 2027-02-28, temporary: true}\n"
    "  - {id: srv-xa-1, site: xa-camxuyen, kind: server}\n"
    "sensors:\n"
    "  - {id: pkt-dc-hatinh, site: dc-hatinh, kind: packet, public_key: \"" + key_text(0) + "\"}\n"
    "  - {id: log-xa-camxuyen, site: xa-camxuyen, kind: log, name: syslog, public_key: \"" + key_text(32) + "\"}\n"
    "waivers:\n"
    "  - {requirement: AST-03, system: dvc-portal, reason: \"firewall on order\", approved_by: \"Giám đốc Sở\",\n"
    "     expires: 2027-03-01}\n";

}  // namespace

TEST_CASE("inventory loader reads sites, systems, assets with licenses, sensors and waivers") {
  soc::test::TempDir dir;
  const auto l = load(dir, kValid);
  CAPTURE(l.rendered);
  REQUIRE(l.ok);
  const auto& i = l.inventory;
  REQUIRE(i.sites.size() == 2);
  CHECK(i.sites[1].id == "xa-camxuyen");
  CHECK(i.sites[1].kind == "commune");
  CHECK(i.sites[1].name == "UBND xã Cẩm Xuyên");
  REQUIRE(i.systems.size() == 1);
  const auto& s = i.systems[0];
  CHECK(s.level == 3);
  CHECK(s.sites == std::vector<std::string>{"dc-hatinh", "xa-camxuyen"});
  CHECK(s.assets == std::vector<std::string>{"fw-dc-1"});
  CHECK(s.owner == "Sở KH&CN");
  REQUIRE(s.approved);
  CHECK(inv::format_date(*s.approved) == "2025-06-01");
  REQUIRE(s.last_assessment);
  CHECK(inv::format_date(*s.last_assessment) == "2026-01-15");
  CHECK(s.at.line == 5);
  REQUIRE(i.assets.size() == 2);
  const auto& fw = i.assets[0];
  CHECK(fw.kind == "firewall");
  CHECK(fw.vendor == "Fortinet");
  CHECK(fw.model == "FG-200F");
  CHECK(fw.address == "10.0.0.1");
  REQUIRE(fw.licenses.size() == 2);
  CHECK(fw.licenses[0].kind == "support");
  CHECK(inv::format_date(fw.licenses[0].expires) == "2026-12-31");
  CHECK_FALSE(fw.licenses[0].temporary);
  CHECK(fw.licenses[1].temporary);
  CHECK(i.assets[1].licenses.empty());
  REQUIRE(i.sensors.size() == 2);
  CHECK(i.sensors[0].kind == "packet");
  CHECK(soc::z85_encode_key(i.sensors[1].public_key) == key_text(32));
  REQUIRE(i.waivers.size() == 1);
  CHECK(i.waivers[0].requirement == "AST-03");
  CHECK(inv::format_date(i.waivers[0].expires) == "2027-03-01");
  CHECK(i.waivers[0].requirement_at.line == 22);
  CHECK(i.waivers[0].requirement_at.column == 19);
}

TEST_CASE("an inventory stays loadable as the correlator's sensor allowlist") {
  soc::test::TempDir dir;
  const std::string path = dir.write("inventory.yaml", kValid);
  soc::config::SensorAllowlist list;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  CHECK(soc::config::load_sensor_allowlist(path, list, diags, source));
  CHECK(soc::render_all(diags) == "");
  REQUIRE(list.sensors.size() == 2);
  CHECK(list.sensors[1].site == "xa-camxuyen");
}

TEST_CASE("dates are whole calendar days YYYY-MM-DD") {
  CHECK(inv::parse_date("2028-02-29"));
  CHECK_FALSE(inv::parse_date("2027-02-29"));
  CHECK_FALSE(inv::parse_date("2026-13-01"));
  CHECK_FALSE(inv::parse_date("2026-1-01"));
  CHECK_FALSE(inv::parse_date("2026-01-01T00:00:00Z"));
  CHECK_FALSE(inv::parse_date("0000-01-01"));
  CHECK_FALSE(inv::parse_date("31/12/2026"));
  CHECK(inv::format_date(*inv::parse_date("0999-01-09")) == "0999-01-09");
}

TEST_CASE("inventory loader reports every mistake of a file at once with line, column and code") {
  soc::test::TempDir dir;
  const auto l = load(dir,
      "sites:\n"                                                                        // 1
      "  - {id: dc-hatinh, name: DC, kind: datacenter}\n"                               // 2
      "  - {id: xa-a, name: A, kind: town}\n"                                           // 3 bad kind
      "  - {id: dc-hatinh, name: again, kind: ward}\n"                                  // 4 duplicate id
      "  - {id: xa-b, kind: commune, colour: red}\n"                                    // 5 unknown key, no name
      "systems:\n"                                                                      // 6
      "  - {id: s1, name: S1, level: 6, sites: [dc-hatinh, xa-nowhere], approved: 2025-02-30}\n"  // 7
      "  - {id: s2, name: S2, level: three, sites: dc-hatinh, assets: [fw-none]}\n"     // 8
      "  - {name: S3, level: 2, sites: []}\n"                                           // 9
      "assets:\n"                                                                       // 10
      "  - id: fw-1\n"                                                                  // 11
      "    site: xa-gone\n"                                                             // 12 dangling
      "    kind: firewal\n"                                                             // 13 bad kind
      "    licenses:\n"                                                                 // 14
      "      - {kind: support, expires: 31/12/2026, temporary: maybe}\n"                // 15
      "      - {kind: lease, expires: 2026-12-31}\n"                                    // 16
      "      - {expires: 2026-12-31}\n"                                                 // 17
      "  - {id: sw-1, site: dc-hatinh, kind: switch, vendor: [x]}\n"                    // 18
      "sensors:\n"                                                                      // 19
      "  - {id: pkt-1, site: dc-hatinh, kind: packet, public_key: \"" + key_text(0) + "\"}\n"   // 20
      "  - {id: pkt-2, site: xa-zz, kind: netflow, public_key: not-a-key}\n"            // 21
      "  - {id: pkt-3, site: dc-hatinh, kind: log, public_key: \"" + key_text(0) + "\"}\n"      // 22
      "  - {id: pkt-4, site: dc-hatinh, kind: log}\n"                                   // 23
      "waivers:\n"                                                                      // 24
      "  - {requirement: AST-03, system: s9, reason: r, approved_by: x, expires: soon}\n"  // 25
      "  - {requirement: AST-03, system: s1}\n"                                         // 26
      "  - just text\n"                                                                 // 27
      "extras: 1\n");                                                                   // 28
  CHECK_FALSE(l.ok);
  const std::string p = l.path;
  CHECK(l.rendered ==
        p + ":3:31: error[inventory.bad_value]: site kind 'town' is not one of: datacenter, commune, ward, department\n" +
        p + ":4:10: error[inventory.duplicate_id]: site id 'dc-hatinh' is already defined at line 2\n" +
        p + ":5:5: error[inventory.missing_key]: a site without 'name'\n" +
        p + ":5:31: error[inventory.unknown_key]: unknown key 'colour' in a site (known keys: id, name, kind)\n" +
        p + ":7:31: error[inventory.bad_value]: 'level' must be an integer from 1 to 5\n" +
        p + ":7:53: error[inventory.unknown_reference]: unknown site 'xa-nowhere' (not in 'sites')\n" +
        p + ":7:76: error[inventory.bad_date]: 'approved' must be a date YYYY-MM-DD, not '2025-02-30'\n" +
        p + ":8:31: error[inventory.bad_type]: 'level' must be an integer from 1 to 5\n" +
        p + ":8:45: error[inventory.bad_type]: 'sites' must be a list\n" +
        p + ":8:65: error[inventory.unknown_reference]: unknown asset 'fw-none' (not in 'assets')\n" +
        p + ":9:5: error[inventory.missing_key]: a system without 'id'\n" +
        p + ":9:33: error[inventory.bad_value]: 'sites' must name at least one site\n" +
        p + ":12:11: error[inventory.unknown_reference]: unknown site 'xa-gone' (not in 'sites')\n" +
        p + ":13:11: error[inventory.bad_value]: asset kind 'firewal' is not one of: firewall, ips, waf, anti_ddos, db_firewall, nac, vpn_gateway, router, switch, wireless_ap, server, workstation, storage, log_store, portal, video_conference, ups, other\n" +
        p + ":15:34: error[inventory.bad_date]: 'expires' must be a date YYYY-MM-DD, not '31/12/2026'\n" +
        p + ":15:57: error[inventory.bad_type]: 'temporary' must be true or false\n" +
        p + ":16:16: error[inventory.bad_value]: license kind 'lease' is not one of: support, subscription, software, signatures, warranty\n" +
        p + ":17:9: error[inventory.missing_key]: a license without 'kind'\n" +
        p + ":18:55: error[inventory.bad_type]: 'vendor' must be a non-empty string\n" +
        p + ":21:23: error[inventory.unknown_reference]: unknown site 'xa-zz' (not in 'sites')\n" +
        p + ":21:36: error[inventory.bad_value]: sensor kind 'netflow' is not one of: packet, log, collector\n" +
        p + ":21:57: error[inventory.bad_key]: public_key must be a CURVE public key: 40 characters of Z85\n" +
        p + ":22:57: error[inventory.duplicate_key]: this public key is already bound to the sensor at line 20; a key binds one sensor\n" +
        p + ":23:5: error[inventory.missing_key]: a sensor without 'public_key'\n" +
        p + ":25:35: error[inventory.unknown_reference]: unknown system 's9' (not in 'systems')\n" +
        p + ":25:75: error[inventory.bad_date]: 'expires' must be a date YYYY-MM-DD, not 'soon'\n" +
        p + ":26:5: error[inventory.missing_key]: a waiver without 'reason'\n" +
        p + ":26:5: error[inventory.missing_key]: a waiver without 'approved_by'\n" +
        p + ":26:5: error[inventory.missing_key]: a waiver without 'expires'\n" +
        p + ":27:5: error[inventory.not_a_map]: each waiver must be a map\n" +
        p + ":28:1: error[inventory.unknown_key]: unknown key 'extras' in the inventory (known keys: sites, systems, assets, sensors, waivers, timezone)\n");
}

TEST_CASE("a key written twice in one entry is reported, not silently shadowed") {
  soc::test::TempDir dir;
  const auto l = load(dir,
                      "sites:\n"
                      "  - id: a\n"
                      "    name: A\n"
                      "    kind: ward\n"
                      "    kind: commune\n");
  CHECK_FALSE(l.ok);
  CHECK(l.rendered == l.path + ":5:5: error[inventory.repeated_key]: key 'kind' appears twice in a site\n");
}

TEST_CASE("the streaming loader: anchors and aliases across entries, a repeated section, an empty file") {
  soc::test::TempDir dir;
  const auto aliased = load(dir,
                            "sites: [{id: a, name: A, kind: ward}]\n"
                            "assets:\n"
                            "  - {id: fw-1, site: a, kind: firewall, licenses: [&support {kind: support, expires: 2027-01-31}]}\n"
                            "  - {id: fw-2, site: a, kind: firewall, licenses: [*support]}\n");
  CAPTURE(aliased.rendered);
  REQUIRE(aliased.ok);
  REQUIRE(aliased.inventory.assets.size() == 2);
  REQUIRE(aliased.inventory.assets[1].licenses.size() == 1);
  CHECK(inv::format_date(aliased.inventory.assets[1].licenses[0].expires) == "2027-01-31");

  // The second 'sites:' is reported and, as yaml-cpp's lookups did, not read: its entries raise
  // no duplicate ids and define nothing.
  const auto repeated = load(dir,
                             "sites: [{id: a, name: A, kind: ward}]\n"
                             "sites: [{id: a, name: A, kind: ward}, {id: b, name: B, kind: ward}]\n"
                             "assets: [{id: fw-1, site: b, kind: firewall}]\n");
  CHECK_FALSE(repeated.ok);
  CHECK(repeated.rendered ==
        repeated.path + ":2:1: error[inventory.repeated_key]: key 'sites' appears twice in the inventory\n" +
        repeated.path + ":3:27: error[inventory.unknown_reference]: unknown site 'b' (not in 'sites')\n");
  CHECK(repeated.inventory.sites.size() == 1);

  const auto empty = load(dir, "# nothing yet\n");
  CHECK_FALSE(empty.ok);
  CHECK(empty.rendered == empty.path +
                              ": error[inventory.not_a_map]: expected a map with the sections sites, systems, assets, "
                              "sensors, waivers\n");
  const auto list = load(dir, "- {id: a, name: A, kind: ward}\n");
  CHECK_FALSE(list.ok);
  CHECK(list.rendered.find(list.path + ":1:1: error[inventory.not_a_map]") == 0);
}

TEST_CASE("a syntax error after valid entries is the only diagnostic, located") {
  soc::test::TempDir dir;
  const auto l = load(dir,
                      "sites:\n"
                      "  - {id: a, name: A, kind: town}\n"
                      "  - {id: b, name: B, kind: ward\n"
                      "assets: []\n");
  CHECK_FALSE(l.ok);
  REQUIRE(l.diags.size() == 1);
  CHECK(l.diags[0].code == "yaml.syntax");
  CHECK(l.diags[0].line >= 3);
}

TEST_CASE("a site listed twice in a system, and a timezone that is not an offset, are reported") {
  soc::test::TempDir dir;
  const auto l = load(dir,
                      "timezone: Asia/Ho_Chi_Minh\n"
                      "sites: [{id: a, name: A, kind: ward}]\n"
                      "systems: [{id: s, name: S, level: 1, sites: [a, a]}]\n");
  CHECK_FALSE(l.ok);
  CHECK(l.rendered ==
        l.path + ":1:11: error[inventory.bad_value]: timezone 'Asia/Ho_Chi_Minh' must be UTC or a fixed offset such as +07:00\n" +
        l.path + ":3:49: error[inventory.duplicate_reference]: 'a' is listed twice in 'sites'\n");
  const auto tz = load(dir, "timezone: \"+07:00\"\nsites: [{id: a, name: A, kind: ward}]\n");
  CAPTURE(tz.rendered);
  CHECK(tz.ok);
  CHECK(tz.inventory.utc_offset == std::chrono::hours(7));
}

TEST_CASE("nested aliases are shared, not copied: a 'billion laughs' inventory is refused, not expanded") {
  soc::test::TempDir dir;
  // 40 levels of doubling: 2^40 elements if aliases were copied.
  std::string text = "sites:\n  - id: a\n    name: A\n    kind: ward\n    x0: &l0 [lol, lol]\n";
  for (int i = 1; i <= 40; ++i) text += fmt::format("    x{}: &l{} [*l{}, *l{}]\n", i, i, i - 1, i - 1);
  text += "    &k kind2: *l40\nassets: [{id: *k, site: a, kind: *k}]\n";
  const auto l = load(dir, text);
  CHECK_FALSE(l.ok);
  CHECK(l.diags.size() == 43);  // x0..x40 and kind2 unknown in the site; the asset's kind
  // An alias reads the anchored node, position included, as in yaml-cpp's tree.
  CHECK(l.rendered.find(l.path + ":46:5: error[inventory.bad_value]: asset kind 'kind2' is not one of") !=
        std::string::npos);
  REQUIRE(l.inventory.assets.empty());
}

TEST_CASE("the streaming loaders never throw on mutated files, and what loads is consistent") {
  // Mutations of the shipped examples (both loaders) and of kValid: YAML punctuation inserted,
  // replaced, deleted, including anchors and aliases.
  const std::string root = SOC_SOURCE_ROOT;
  std::string example_inventory, example_baseline;
  REQUIRE(soc::config::read_file(root + "/examples/inventory.yaml", example_inventory));
  REQUIRE(soc::config::read_file(root + "/examples/baseline.yaml", example_baseline));
  const std::vector<std::pair<std::string, bool>> texts = {
      {kValid, true}, {example_inventory, true}, {example_baseline, false}};
  soc::test::TempDir dir;
  std::mt19937 rng(6);
  const std::string alphabet = " \n:-|*?{}[]'\"\\#&!%@`,>0aZ*&";
  int loaded = 0;
  for (int round = 0; round < 400; ++round) {
    const auto& [base, is_inventory] = texts[rng() % texts.size()];
    std::string t = base;
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < edits && !t.empty(); ++i) {
      const size_t pos = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: t.erase(pos, 1 + rng() % 16); break;
        default: t.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    const std::string path = dir.write("m.yaml", t);
    std::vector<soc::Diagnostic> diags;
    std::string source;
    bool ok = false;
    if (is_inventory) {
      inv::Inventory i;
      CHECK_NOTHROW(ok = inv::load_inventory(path, i, diags, source));
      if (ok) {
        // The contract of a successful load: every reference resolves.
        for (const auto& a : i.assets) CHECK(i.find_site(a.site) != nullptr);
        for (const auto& s : i.systems)
          for (const auto& site : s.sites) CHECK(i.find_site(site) != nullptr);
      }
    } else {
      inv::Baseline b;
      CHECK_NOTHROW(ok = inv::load_baseline(path, b, diags, source));
    }
    CHECK(ok == diags.empty());
    for (const auto& d : diags) CHECK(d.line >= 0);
    loaded += ok;
  }
  CHECK(loaded > 0);  // some mutations only touch comments or strings
}
