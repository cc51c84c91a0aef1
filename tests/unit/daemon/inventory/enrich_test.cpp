#include "daemon/inventory/enrich.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/json_codec.h"
#include "daemon/inventory/loader.h"
#include "tests/unit/test_support.h"

namespace {

namespace inv = soc::daemon::inventory;

inv::Inventory load(const std::string& text) {
  soc::test::TempDir dir;
  inv::Inventory out;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  const bool ok = inv::load_inventory(dir.write("inventory.yaml", text), out, diags, source);
  INFO(soc::render_all(diags, source));
  REQUIRE(ok);
  return out;
}

const char* kInventory =
    "sites:\n"
    "  - {id: dc, name: \"Trung tâm dữ liệu\", kind: datacenter}\n"
    "  - {id: xa, name: \"UBND xã\", kind: commune}\n"
    "  - {id: empty, name: E, kind: ward}\n"
    "systems:\n"
    "  - {id: portal, name: P, level: 3, sites: [dc]}\n"
    "  - {id: wan, name: W, level: 2, sites: [dc, xa]}\n"
    "assets:\n"
    "  - {id: fw-dc, site: dc, kind: firewall, address: 10.0.0.1}\n"
    "  - {id: srv-dc, site: dc, kind: server, address: \"10.0.0.10:8443\"}\n"
    "  - {id: srv-v6, site: dc, kind: server, address: \"[2001:db8::10]:443\"}\n"
    "  - {id: portal-dvc, site: dc, kind: portal, address: \"dichvucong.example.vn:443\"}\n";

soc::Event decode(const std::string& json) {
  soc::Event e;
  REQUIRE_FALSE(soc::decode_event_into(json, e));
  return e;
}

std::string encode(const soc::Event& e) {
  std::string out;
  soc::encode_event(e, out);
  return out;
}

}  // namespace

TEST_CASE("enrichment adds the site's name, kind and highest system level") {
  const inv::Enricher en(load(kInventory));
  CHECK(en.site_level("dc") == 3);
  CHECK(en.site_level("xa") == 2);
  CHECK(en.site_level("empty") == 0);
  CHECK(en.site_level("nowhere") == 0);

  auto e = decode(R"({"site.id":"xa","site.name":"claimed by the sensor","event.dataset":"sshd"})");
  en.apply(e);
  CHECK(encode(e) ==
        R"({"site.id":"xa","site.name":"UBND xã","event.dataset":"sshd","site.kind":"commune","site.level":2})");

  // A site no system uses has no level; a site the inventory does not know gets nothing.
  e = decode(R"({"site.id":"empty"})");
  en.apply(e);
  CHECK(encode(e) == R"({"site.id":"empty","site.name":"E","site.kind":"ward"})");
  e = decode(R"({"site.id":"elsewhere"})");
  en.apply(e);
  CHECK(encode(e) == R"({"site.id":"elsewhere"})");
}

TEST_CASE("enrichment names the asset by host.ip first, then destination.ip, then source.ip") {
  const inv::Enricher en(load(kInventory));
  CHECK(en.addresses() == 3);  // the portal's host name is not an IP address

  auto e = decode(R"({"source.ip":"10.0.0.1","destination.ip":"10.0.0.10"})");
  en.apply(e);
  CHECK(e.get_string("asset.id") == "srv-dc");
  CHECK(e.get_string("asset.kind") == "server");

  e = decode(R"({"source.ip":"10.0.0.1","destination.ip":"192.0.2.7"})");
  en.apply(e);
  CHECK(e.get_string("asset.id") == "fw-dc");

  e = decode(R"({"host.ip":["192.0.2.1","10.0.0.1"],"destination.ip":"10.0.0.10"})");
  en.apply(e);
  CHECK(e.get_string("asset.id") == "fw-dc");

  e = decode(R"({"destination.ip":"2001:db8:0::10"})");
  en.apply(e);
  CHECK(e.get_string("asset.id") == "srv-v6");

  e = decode(R"({"source.ip":"192.0.2.1","destination.ip":"192.0.2.2"})");
  en.apply(e);
  CHECK_FALSE(e.contains("asset.id"));
  CHECK_FALSE(e.contains("asset.kind"));
}

TEST_CASE("an asset.id the event carries is kept when the inventory knows it; an unknown one yields to the address") {
  const inv::Enricher en(load(kInventory));
  auto e = decode(R"({"asset.id":"portal-dvc","destination.ip":"10.0.0.1"})");
  en.apply(e);
  CHECK(e.get_string("asset.id") == "portal-dvc");
  CHECK(e.get_string("asset.kind") == "portal");

  e = decode(R"({"asset.id":"typo","destination.ip":"10.0.0.1"})");
  en.apply(e);
  CHECK(e.get_string("asset.id") == "fw-dc");
  CHECK(e.get_string("asset.kind") == "firewall");
}

TEST_CASE("an inventory address may carry a port or brackets") {
  CHECK(inv::address_ip("10.0.0.1")->to_string() == "10.0.0.1");
  CHECK(inv::address_ip("10.0.0.1:443")->to_string() == "10.0.0.1");
  CHECK(inv::address_ip("[2001:db8::1]:443")->to_string() == "2001:db8::1");
  CHECK(inv::address_ip("2001:db8::1")->to_string() == "2001:db8::1");
  CHECK_FALSE(inv::address_ip("portal.example.vn:443"));
  CHECK_FALSE(inv::address_ip("[2001:db8::1"));
  CHECK_FALSE(inv::address_ip(""));
}
