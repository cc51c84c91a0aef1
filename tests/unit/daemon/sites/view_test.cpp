#include "daemon/sites/view.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "daemon/inventory/loader.h"
#include "daemon/inventory/observations.h"

namespace soc::daemon::sites {
namespace {

namespace inv = soc::daemon::inventory;
using namespace std::chrono_literals;

Timestamp at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

struct Province {
  inv::Inventory inventory;
  inv::Baseline baseline;
  Province() {
    const std::string root = SOC_SOURCE_ROOT;
    std::vector<Diagnostic> diags;
    std::string source;
    REQUIRE(inv::load_inventory(root + "/examples/inventory.yaml", inventory, diags, source));
    REQUIRE(inv::load_baseline(root + "/examples/baseline.yaml", baseline, diags, source));
  }
};

const SiteView& site(const SitesView& v, std::string_view id) {
  const SiteView* s = v.find(id);
  REQUIRE(s != nullptr);
  return *s;
}

const LicenseView& license(const SiteView& s, std::string_view asset, std::string_view name) {
  for (const auto& a : s.assets)
    if (a.id == asset)
      for (const auto& l : a.licenses)
        if (l.name == name) return l;
  FAIL("no license " << name << " of " << asset);
  throw 0;
}

TEST_CASE("the sample province's sites: levels, silent and unheard sensors, gaps, licenses, requirements") {
  Province p;
  const Timestamp now = at("2026-11-27T12:00:00Z");
  inv::Evidence ev;
  ev.observing_since = now - 1h;
  for (const char* s : {"pkt-dc-hatinh", "log-dc-hatinh", "log-xa-camxuyen"}) ev.sensor_last_seen[s] = now - 10s;
  ev.sensor_last_seen["pkt-xa-thachha"] = now - 50min;  // heard, then silent
  const auto findings = inv::evaluate(p.inventory, p.baseline, ev, now);
  std::vector<SensorSeen> seen = {{"pkt-dc-hatinh", now - 10s, true},
                                  {"log-dc-hatinh", now - 10s, true},
                                  {"log-xa-camxuyen", now - 10s, true},
                                  {"pkt-xa-thachha", now - 50min, false},
                                  {"log-xa-kyanh", std::nullopt, false}};
  const SitesView v = build_view(p.inventory, &p.baseline, findings, seen, now);

  REQUIRE(v.sites.size() == 5);
  CHECK(v.sites[0].id == "dc-hatinh");  // inventory order
  CHECK(v.baseline);
  CHECK(v.evaluated_at == now);

  const SiteView& dc = site(v, "dc-hatinh");
  CHECK(dc.level == 3);
  CHECK(dc.systems.size() == 2);
  REQUIRE(dc.sensors.size() == 2);
  CHECK(dc.sensors[0].up);
  CHECK(dc.sensors[0].last_seen == now - 10s);
  CHECK(dc.equipment_gaps.empty());
  // The signatures' grace period ends 2026-12-31: inside the 60 days' warning, it is expiring.
  CHECK(license(dc, "fw-dc-1", "signatures").status == "expiring");
  CHECK(license(dc, "fw-dc-1", "support").status == "valid");
  CHECK(dc.licenses_expired == 0);
  CHECK(dc.licenses_expiring == 1);

  const SiteView& camxuyen = site(v, "xa-camxuyen");
  CHECK(camxuyen.licenses_expired == 2);  // the firewall's loan ended 2026-09-30, the server's CAL 2026-10-31
  CHECK(license(camxuyen, "fw-camxuyen", "support").status == "expired");
  CHECK(camxuyen.assets.size() == 3);

  const SiteView& thachha = site(v, "xa-thachha");
  REQUIRE(thachha.sensors.size() == 1);
  CHECK_FALSE(thachha.sensors[0].up);
  CHECK(thachha.sensors[0].last_seen == now - 50min);
  // No firewall: waived for the one-stop-shop system, a gap for the provincial WAN.
  CHECK(std::count(thachha.equipment_gaps.begin(), thachha.equipment_gaps.end(), "firewall") == 1);

  const SiteView& kyanh = site(v, "xa-kyanh");
  REQUIRE(kyanh.sensors.size() == 1);
  CHECK_FALSE(kyanh.sensors[0].last_seen.has_value());
  CHECK(license(kyanh, "fw-kyanh", "subscription").status == "expiring");  // 2027-01-15: 49 days

  const SiteView& nghixuan = site(v, "xa-nghixuan");
  CHECK(nghixuan.sensors.empty());
  CHECK_FALSE(nghixuan.equipment_gaps.empty());

  // Requirements: one row per (system, requirement), the worst status at the site, with its reason;
  // the system-wide assessment date is among them.
  std::set<std::pair<std::string, std::string>> rows;
  for (const auto& q : camxuyen.requirements) {
    CHECK(rows.insert({q.system, q.requirement}).second);
    CHECK_FALSE(q.title_en.empty());
    CHECK_FALSE(q.reason.empty());
  }
  const auto firewall_license =
      std::find_if(camxuyen.requirements.begin(), camxuyen.requirements.end(),
                   [](const RequirementView& q) { return q.reason.find("expired") != std::string::npos; });
  REQUIRE(firewall_license != camxuyen.requirements.end());
  CHECK(firewall_license->status == "not_met");
}

TEST_CASE("without a baseline a site has no requirements and no gaps, and licenses warn 60 days ahead") {
  Province p;
  const Timestamp now = at("2026-11-27T12:00:00Z");
  const SitesView v = build_view(p.inventory, nullptr, {}, {}, now);
  CHECK_FALSE(v.baseline);
  const SiteView& kyanh = site(v, "xa-kyanh");
  CHECK(kyanh.requirements.empty());
  CHECK(kyanh.equipment_gaps.empty());
  CHECK_FALSE(kyanh.sensors[0].up);
  CHECK(license(kyanh, "fw-kyanh", "subscription").status == "expiring");
  // 2026-11-14 is 61 days before 2027-01-15: not yet expiring.
  const SitesView earlier = build_view(p.inventory, nullptr, {}, {}, at("2026-11-14T12:00:00Z"));
  CHECK(license(site(earlier, "xa-kyanh"), "fw-kyanh", "subscription").status == "valid");
}

TEST_CASE("a license a collector read from the device shows when it was read; a declared one shows none") {
  Province p;
  auto inventory = std::make_shared<const inv::Inventory>(p.inventory);
  auto baseline = std::make_shared<const inv::Baseline>(p.baseline);
  inv::Observations obs;
  obs.bind(inventory, baseline);
  // soc-collector's reading of the FortiGate at Cam Xuyen: its support contract was renewed.
  Event e;
  e.set("event.dataset", "collector.license");
  e.set("destination.address", "10.20.0.2");
  e.set("asset.license.name", "FortiCare Support");
  e.set("asset.license.status", "licensed");
  e.set("asset.license.expires", "2027-09-30T00:00:00Z");
  const Timestamp read = at("2026-11-27T11:58:00Z");
  obs.observe(e, read);
  const Timestamp now = at("2026-11-27T12:00:00Z");
  const SitesView v = build_view(*obs.effective_inventory(), &p.baseline, {}, {}, now);
  const SiteView& camxuyen = site(v, "xa-camxuyen");
  const LicenseView& fw = license(camxuyen, "fw-camxuyen", "support");
  CHECK(fw.status == "valid");  // the reading replaces the declared loan that ended 2026-09-30
  REQUIRE(fw.read_at.has_value());
  CHECK(*fw.read_at == read);
  const LicenseView& cal = license(camxuyen, "srv-camxuyen", "software");
  CHECK(cal.status == "expired");
  CHECK_FALSE(cal.read_at.has_value());
  CHECK(camxuyen.licenses_expired == 1);
}

TEST_CASE("a published view is what readers get; before the first, none") {
  ViewSlot slot;
  CHECK(slot.latest() == nullptr);
  SitesView v;
  v.sites.push_back({});
  v.sites.back().id.assign(1, 'a');
  slot.publish(std::move(v));
  auto got = slot.latest();
  REQUIRE(got != nullptr);
  CHECK(got->find("a") != nullptr);
  CHECK(got->find("b") == nullptr);
}

}  // namespace
}  // namespace soc::daemon::sites
