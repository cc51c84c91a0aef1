#include "daemon/inventory/tracker.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

namespace inv = soc::daemon::inventory;
using inv::Status;

inv::Finding finding(const char* subject, Status status, const char* rule) {
  return {"sys", "MON-02", "xa-a", subject, status, rule, ""};
}

// "subject previous->current rule" per change, "removed" when gone.
std::string describe(const std::vector<inv::Change>& changes) {
  std::string out;
  for (const auto& c : changes) {
    out += c.finding.subject + " " + (c.previous ? std::string(inv::to_string(*c.previous)) : "new") + "->" +
           std::string(inv::to_string(c.finding.status)) + " " + c.finding.rule_id + (c.removed ? " removed" : "") + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("a finding raises one change when it goes bad and one when it recovers, not one per tick") {
  inv::FindingTracker t;
  CHECK(describe(t.update({finding("pkt-a", Status::Met, ""), finding("pkt-b", Status::Met, "")})) ==
        "pkt-a new->met \npkt-b new->met \n");
  CHECK(describe(t.update({finding("pkt-a", Status::Met, ""), finding("pkt-b", Status::Met, "")})) == "");
  // pkt-b falls silent: one change, then nothing while it stays silent.
  CHECK(describe(t.update({finding("pkt-a", Status::Met, ""), finding("pkt-b", Status::NotMet, "soc.sensor.silent")})) ==
        "pkt-b met->not_met soc.sensor.silent\n");
  CHECK(describe(t.update({finding("pkt-a", Status::Met, ""), finding("pkt-b", Status::NotMet, "soc.sensor.silent")})) == "");
  // It comes back.
  const auto back = t.update({finding("pkt-a", Status::Met, ""), finding("pkt-b", Status::Met, "")});
  CHECK(describe(back) == "pkt-b not_met->met \n");
  REQUIRE(back.size() == 1);
  CHECK(back[0].previous_rule_id == "soc.sensor.silent");
}

TEST_CASE("a change of rule with the same status is a change; a finding that disappears is reported removed") {
  inv::FindingTracker t;
  (void)t.update({finding("fw-1", Status::Met, ""), finding("fw-2", Status::Met, "")});
  // A license enters its warning window: still met, but now soc.license.expiring.
  CHECK(describe(t.update({finding("fw-1", Status::Met, "soc.license.expiring"), finding("fw-2", Status::Met, "")})) ==
        "fw-1 met->met soc.license.expiring\n");
  // fw-2 is removed from the inventory.
  CHECK(describe(t.update({finding("fw-1", Status::Met, "soc.license.expiring")})) == "fw-2 met->met  removed\n");
  CHECK(describe(t.update({finding("fw-1", Status::Met, "soc.license.expiring")})) == "");
}
