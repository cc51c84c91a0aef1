// Semantics of Sigma correlations on sliding event-time windows (docs/adr/0008-rule-engine.md).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/json_codec.h"
#include "daemon/rules/engine.h"
#include "daemon/rules/loader.h"

using namespace soc::daemon::rules;

namespace {

// Two plain rules on `rule` values a and b, then the correlations given.
const char* kBase = R"(title: rule a
name: a
detection:
  sel: {rule: a}
  condition: sel
---
title: rule b
name: b
detection:
  sel: {rule: b}
  condition: sel
---
)";

struct Run {
  std::vector<soc::Event> alerts;
  EngineCounters counters;
  std::string json(size_t i) const { return soc::encode_event(alerts.at(i)); }
};

// `events`: (seconds after 10:00:00, extra JSON members).
Run run(const std::string& rules, const std::vector<std::pair<double, std::string>>& events,
        EngineOptions options = {}) {
  Loader l(FieldMapping{});
  l.load_text("c.yml", std::string(kBase) + rules);
  auto set = std::make_shared<RuleSet>(l.finish());
  REQUIRE_MESSAGE(set->ok(), set->render_diagnostics());
  Run r;
  {
    Engine e(set, [&](const soc::Event& a) { r.alerts.push_back(a); }, options);
    for (const auto& [secs, members] : events) {
      const auto ts = soc::Timestamp{} + std::chrono::hours(24 * 365 * 56) +
                      std::chrono::microseconds(static_cast<int64_t>(secs * 1e6));
      std::string json = "{\"@timestamp\":\"" + soc::format_rfc3339(ts) + "\"," + members + "}";
      auto ev = soc::decode_event(json);
      REQUIRE_MESSAGE(ev.ok(), json);
      e.process(*ev);
    }
    e.flush();
    r.counters = e.counters();
  }
  return r;
}

std::string a(const char* ip = "10.0.0.1") { return std::string(R"("rule":"a","source.ip":")") + ip + "\""; }
std::string b(const char* ip = "10.0.0.1") { return std::string(R"("rule":"b","source.ip":")") + ip + "\""; }

const char* kCount3In60 = R"(title: three a
id: 33333333-3333-4333-8333-333333333333
level: high
tags: [attack.t1110]
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 60s
  condition: {gte: 3}
)";

}  // namespace

TEST_CASE("event_count fires when the events span exactly the timespan") {
  auto r = run(kCount3In60, {{0, a()}, {30, a()}, {60, a()}});
  REQUIRE(r.alerts.size() == 1);
  const auto& al = r.alerts[0];
  CHECK(al.get_string("event.kind") == "alert");
  CHECK(al.get_string("rule.id") == "33333333-3333-4333-8333-333333333333");
  CHECK(al.get_string("rule.name") == "three a");
  CHECK(al.get_string("rule.ruleset") == "c.yml");
  CHECK(al.get_int("event.severity") == 4);
  CHECK(al.get_int("soc.count") == 3);
  CHECK(al.find("source.ip")->to_text() == "10.0.0.1");
  CHECK(al.find("threat.technique.id")->to_text() == "T1110");
  CHECK(*al.get_timestamp("event.end") - *al.get_timestamp("event.start") == std::chrono::seconds(60));
  // The plain rule is referenced by the correlation, so it does not alert on its own.
  CHECK(r.counters.matches == 3);
}

TEST_CASE("event_count does not fire when the events span one microsecond more than the timespan") {
  auto r = run(kCount3In60, {{0, a()}, {30, a()}, {60.000001, a()}});
  CHECK(r.alerts.empty());
}

TEST_CASE("event_count starts over after a fire and keeps groups apart") {
  auto r = run(kCount3In60, {{0, a()}, {1, a("10.0.0.2")}, {2, a()}, {3, a()}, {4, a()}, {5, a()}, {6, a()},
                             {7, a("10.0.0.2")}});
  REQUIRE(r.alerts.size() == 2);  // 10.0.0.1: events 0,2,3 then 4,5,6; 10.0.0.2 has two
  CHECK(r.alerts[0].get_int("soc.count") == 3);
  CHECK(r.alerts[1].get_string("soc.group") == "source.ip=10.0.0.1");
}

TEST_CASE("a correlation's alert carries the site of its evidence when it is one site") {
  const std::string at_dc = a() + R"(,"site.id":"dc-hatinh")";
  const std::string at_xa = a() + R"(,"site.id":"xa-camxuyen")";
  auto one = run(kCount3In60, {{0, at_dc}, {1, at_dc}, {2, at_dc}});
  REQUIRE(one.alerts.size() == 1);
  CHECK(one.alerts[0].get_string("site.id") == "dc-hatinh");
  // One address seen at two sites: the alert names neither.
  auto two = run(kCount3In60, {{0, at_dc}, {1, at_xa}, {2, at_dc}});
  REQUIRE(two.alerts.size() == 1);
  CHECK(two.alerts[0].find("site.id") == nullptr);
  // Events without a site (a replayed raw file) leave it out.
  auto none = run(kCount3In60, {{0, a()}, {1, a()}, {2, a()}});
  REQUIRE(none.alerts.size() == 1);
  CHECK(none.alerts[0].find("site.id") == nullptr);
}

TEST_CASE("events without the group-by field are not counted") {
  auto r = run(kCount3In60, {{0, R"("rule":"a")"}, {1, R"("rule":"a")"}, {2, R"("rule":"a")"}});
  CHECK(r.alerts.empty());
  CHECK(r.counters.ungrouped_events == 3);
}

TEST_CASE("late events beyond the allowed lateness are dropped and counted, within it they count") {
  EngineOptions o;
  o.allowed_lateness = std::chrono::seconds(10);
  auto late = run(kCount3In60, {{100, a()}, {101, a()}, {80, a()}}, o);
  CHECK(late.alerts.empty());
  CHECK(late.counters.late_events == 1);
  auto in_time = run(kCount3In60, {{100, a()}, {101, a()}, {95, a()}}, o);
  REQUIRE(in_time.alerts.size() == 1);
  CHECK(*in_time.alerts[0].get_timestamp("event.end") - *in_time.alerts[0].get_timestamp("event.start") ==
        std::chrono::seconds(6));
}

TEST_CASE("lateness is measured per sensor: a sensor that lags another still counts") {
  EngineOptions o;
  o.allowed_lateness = std::chrono::seconds(10);
  auto r = run(kCount3In60, {{100, a() + R"(,"observer.name":"s1")"}, {40, a() + R"(,"observer.name":"s2")"},
                             {45, a() + R"(,"observer.name":"s2")"}, {50, a() + R"(,"observer.name":"s2")"}},
               o);
  CHECK(r.counters.late_events == 0);
  REQUIRE(r.alerts.size() == 1);  // s2's three events, 10 s apart; s1's event is in another window
  CHECK(r.alerts[0].get_int("soc.count") == 3);
}

TEST_CASE("lateness is measured per file of a log sensor: a file read after another is not late") {
  EngineOptions o;
  o.allowed_lateness = std::chrono::seconds(10);
  const std::string auth = R"(,"observer.name":"log1","log.file.path":"/var/log/auth.log")";
  const std::string kern = R"(,"observer.name":"log1","log.file.path":"/var/log/kern.log")";
  // After a restart the sensor reads auth.log to its end, then kern.log from an hour before.
  auto r = run(kCount3In60, {{3600, a("10.0.0.9") + auth}, {3601, a("10.0.0.9") + auth}, {0, a() + kern},
                             {10, a() + kern}, {20, a() + kern}},
               o);
  CHECK(r.counters.late_events == 0);
  REQUIRE(r.alerts.size() == 1);
  CHECK(r.alerts[0].find("source.ip")->to_text() == "10.0.0.1");
  // Within one file, time order still holds: an event older than the lateness is late.
  auto same = run(kCount3In60, {{100, a() + kern}, {101, a() + kern}, {80, a() + kern}}, o);
  CHECK(same.counters.late_events == 1);
}

TEST_CASE("temporal fires in any order; temporal_ordered only in the listed order") {
  const char* both = R"(title: any order
correlation:
  type: temporal
  rules: [a, b]
  group-by: [source.ip]
  timespan: 10s
---
title: in order
correlation:
  type: temporal_ordered
  rules: [a, b]
  group-by: [source.ip]
  timespan: 10s
)";
  auto ba = run(both, {{0, b()}, {5, a()}});
  REQUIRE(ba.alerts.size() == 1);
  CHECK(ba.alerts[0].get_string("rule.name") == "any order");
  auto ab = run(both, {{0, a()}, {5, b()}});
  REQUIRE(ab.alerts.size() == 2);
  CHECK(ab.alerts[0].get_string("rule.name") == "any order");
  CHECK(ab.alerts[1].get_string("rule.name") == "in order");
  auto far = run(both, {{0, a()}, {10.5, b()}});
  CHECK(far.alerts.empty());
}

TEST_CASE("group-by with aliases joins differently named fields of the referenced rules") {
  const char* rules = R"(title: lateral
correlation:
  type: temporal
  rules: [a, b]
  group-by: [internal_ip]
  timespan: 1m
  aliases:
    internal_ip:
      a: destination.ip
      b: source.ip
)";
  auto r = run(rules, {{0, R"("rule":"a","destination.ip":"192.168.1.9","source.ip":"1.2.3.4")"},
                       {10, R"("rule":"b","source.ip":"192.168.1.9")"}});
  REQUIRE(r.alerts.size() == 1);
  CHECK(r.alerts[0].find("internal_ip")->to_text() == "192.168.1.9");
  CHECK(r.alerts[0].get_int("soc.count") == 2);
  auto other = run(rules, {{0, R"("rule":"a","destination.ip":"192.168.1.9")"},
                           {10, R"("rule":"b","source.ip":"192.168.1.8")"}});
  CHECK(other.alerts.empty());
}

TEST_CASE("chained correlations count the alerts of the correlation they refer to") {
  const char* rules = R"(title: pairs
name: pairs
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 2}
---
title: two pairs
correlation:
  type: event_count
  rules: [pairs]
  group-by: [source.ip]
  timespan: 1h
  condition: {gte: 2}
)";
  auto r = run(rules, {{0, a()}, {1, a()}, {100, a()}, {101, a()}});
  REQUIRE(r.alerts.size() == 1);  // "pairs" is referenced: its alerts feed "two pairs" only
  CHECK(r.alerts[0].get_string("rule.name") == "two pairs");
  CHECK(r.alerts[0].get_int("soc.count") == 4);
  CHECK(r.alerts[0].find("source.ip")->to_text() == "10.0.0.1");
  // The evidence starts with the first event behind the first inner alert.
  CHECK(*r.alerts[0].get_timestamp("event.end") - *r.alerts[0].get_timestamp("event.start") ==
        std::chrono::seconds(101));
}

TEST_CASE("value_count counts distinct values of the field per group") {
  const char* rules = R"(title: spraying
correlation:
  type: value_count
  rules: [a]
  group-by: [source.ip]
  timespan: 1m
  condition: {field: user.name, gte: 3}
)";
  auto r = run(rules, {{0, a() + R"(,"user.name":"x")"}, {1, a() + R"(,"user.name":"x")"},
                       {2, a() + R"(,"user.name":"y")"}, {3, a() + R"(,"user.name":"z")"}});
  REQUIRE(r.alerts.size() == 1);
  CHECK(r.alerts[0].get_int("soc.count") == 4);
}

TEST_CASE("value_sum adds the field's values in the window") {
  const char* rules = R"(title: exfil
correlation:
  type: value_sum
  rules: [a]
  group-by: [source.ip]
  timespan: 1h
  condition: {field: source.bytes, gt: 1000}
)";
  auto r = run(rules, {{0, a() + R"(,"source.bytes":600)"}, {10, a() + R"(,"source.bytes":400)"},
                       {20, a() + R"(,"source.bytes":1)"}});
  REQUIRE(r.alerts.size() == 1);
  CHECK(*r.alerts[0].get_timestamp("event.end") - *r.alerts[0].get_timestamp("event.start") ==
        std::chrono::seconds(20));
}

TEST_CASE("an lt condition is decided when the window closes, at the latest at the end of input") {
  const char* rules = R"(title: too few
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 10s
  condition: {lt: 3}
)";
  // 10.0.0.1: two events in [0,10] -> fires when the event at 20 closes the window; then one
  // event (20) -> fires at the end of input. 10.0.0.2: three events -> never.
  auto r = run(rules, {{0, a()}, {5, a()}, {0, a("10.0.0.2")}, {1, a("10.0.0.2")}, {2, a("10.0.0.2")},
                       {20, a()}});
  REQUIRE(r.alerts.size() == 2);
  CHECK(r.alerts[0].get_int("soc.count") == 2);
  CHECK(r.alerts[1].get_int("soc.count") == 1);
  CHECK(r.alerts[0].find("source.ip")->to_text() == "10.0.0.1");
}

TEST_CASE("a window closed by an event's arrival feeds a chained correlation without taking that event's group") {
  // "quiet" is referenced by "quiet again": its alerts feed it. The event at 1000 (10.0.0.2)
  // expires 10.0.0.1's group of "quiet" (idle beyond the timespan and the lateness) and closes its
  // window (one event in [0,10]): its alert feeds "quiet again", whose group is 10.0.0.1, in the
  // middle of counting the event at 1000 in "quiet". That event still belongs to 10.0.0.2's
  // group, which then holds two events (1000, 1001): not fewer than two, no alert.
  const char* rules = R"(title: quiet
name: quiet
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 10s
  condition: {lt: 2}
---
title: quiet again
correlation:
  type: event_count
  rules: [quiet]
  group-by: [source.ip]
  timespan: 1h
  condition: {gte: 1}
)";
  auto r = run(rules, {{0, a()}, {1000, a("10.0.0.2")}, {1001, a("10.0.0.2")}});
  REQUIRE(r.alerts.size() == 1);
  CHECK(r.alerts[0].get_string("rule.name") == "quiet again");
  CHECK(r.alerts[0].find("source.ip")->to_text() == "10.0.0.1");
}

TEST_CASE("state is bounded: beyond the cap the least recently updated group is evicted and counted") {
  EngineOptions o;
  o.max_groups_per_rule = 2;
  auto r = run(kCount3In60, {{0, a("10.0.0.1")}, {1, a("10.0.0.2")}, {2, a("10.0.0.3")}, {3, a("10.0.0.1")},
                             {4, a("10.0.0.1")}},
               o);
  CHECK(r.counters.evicted_groups == 2);  // .1 evicted by .3, then .2 by .1's return
  CHECK(r.alerts.empty());                // .1 lost its first event with its group
}

TEST_CASE("a plain rule not referenced by a correlation alerts on its own with context fields") {
  auto r = run("title: unused\ncorrelation:\n  type: event_count\n  rules: [b]\n  timespan: 1m\n"
               "  condition: {gte: 100}\n",
               {{0, a()}});
  REQUIRE(r.alerts.size() == 1);
  CHECK(r.alerts[0].get_string("rule.id") == "a");
  CHECK(r.alerts[0].get_int("soc.count") == 1);
  CHECK(r.alerts[0].find("source.ip")->to_text() == "10.0.0.1");
  CHECK(soc::encode_event(r.alerts[0]).find("\"event.severity\":3") != std::string::npos);
}

TEST_CASE("absence: 'a and not b' fires when a window holds a and no b, decided when it closes") {
  const char* rules = R"(title: a without b
correlation:
  type: temporal
  rules: [a, b]
  group-by: [source.ip]
  timespan: 10s
  condition: a and not b
)";
  // .1: a at 0, b at 5 -> no alert. .2: a at 0, nothing else -> alert when the window closes
  // (here at the end of input). .3: a at 0, b at 11 (after the window) -> alert at 11.
  auto r = run(rules, {{0, a("10.0.0.1")}, {0, a("10.0.0.2")}, {0, a("10.0.0.3")}, {5, b("10.0.0.1")},
                       {11, b("10.0.0.3")}});
  REQUIRE(r.alerts.size() == 2);
  CHECK(r.alerts[0].find("source.ip")->to_text() == "10.0.0.3");
  CHECK(r.alerts[0].get_int("soc.count") == 1);
  CHECK(r.alerts[1].find("source.ip")->to_text() == "10.0.0.2");
}

TEST_CASE("an extended condition without 'not' is tested on every event") {
  const char* rules = R"(title: a or b
correlation:
  type: temporal
  rules: [a, b]
  group-by: [source.ip]
  timespan: 10s
  condition: a and b
)";
  auto r = run(rules, {{0, b()}, {3, a()}});
  REQUIRE(r.alerts.size() == 1);
  CHECK(*r.alerts[0].get_timestamp("@timestamp") - *r.alerts[0].get_timestamp("event.start") == std::chrono::seconds(3));
}

TEST_CASE("suppression holds back alerts of the same rule and group and counts them in the next one") {
  const char* rules = R"(title: pairs
suppress: 1m
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 2}
)";
  // Pairs for .1 fire at 1, 3, 5 (held back), 61 (passes, 2 held); .2 is its own group.
  auto r = run(rules, {{0, a()}, {1, a()}, {2, a()}, {3, a()}, {4, a()}, {5, a()}, {6, a("10.0.0.2")},
                       {7, a("10.0.0.2")}, {60, a()}, {61, a()}});
  REQUIRE(r.alerts.size() == 3);
  CHECK(r.alerts[0].find("soc.suppressed") == nullptr);
  CHECK(r.alerts[1].find("source.ip")->to_text() == "10.0.0.2");
  CHECK(r.alerts[2].get_int("soc.suppressed") == 2);
  CHECK(r.counters.suppressed == 2);
}

TEST_CASE("a repeat held back before its alert is built counts as one built and held back") {
  // Without report_suppressed the engine tells a held-back repeat from the group's values and
  // builds no alert; with it, the alert is built and held back in output(). Same alerts out,
  // same counts, either way.
  const char* rules = R"(title: pairs
suppress: 1m
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 2}
)";
  const std::vector<std::pair<double, std::string>> events = {
      {0, a()}, {1, a()}, {2, a()}, {3, a()}, {4, a("10.0.0.2")}, {5, a("10.0.0.2")}, {6, a()},
      {7, a()}, {8, a("10.0.0.2")}, {9, a("10.0.0.2")}, {61, a()}, {62, a()}, {70, a("10.0.0.2")}, {71, a("10.0.0.2")}};
  EngineOptions reported;
  reported.report_suppressed = true;
  auto early = run(rules, events);
  auto late = run(rules, events, reported);
  REQUIRE(early.alerts.size() == 4);
  REQUIRE(late.alerts.size() == early.alerts.size());
  for (size_t i = 0; i < early.alerts.size(); ++i) CHECK(early.json(i) == late.json(i));
  CHECK(early.alerts[2].get_int("soc.suppressed") == 2);
  CHECK(early.alerts[3].get_int("soc.suppressed") == 1);
  CHECK(early.counters.suppressed == 3);
  CHECK(late.counters.suppressed == early.counters.suppressed);
  CHECK(late.counters.alerts == early.counters.alerts);
}

TEST_CASE("a full suppression table evicts its least recently used key, not one still held back") {
  // max_groups_per_rule 2: .1 alerts and goes idle; .2 alerts and keeps being held back; each new
  // source then evicts the idle key, never .2 (which would alert again on its next event).
  Loader l(FieldMapping{});
  l.load_text("c.yml", std::string(kBase) + "title: a again\nsuppress: {timespan: 10m, by: [source.ip]}\n"
                                            "detection:\n  sel: {rule: a}\n  condition: sel\n");
  auto set = std::make_shared<RuleSet>(l.finish());
  REQUIRE_MESSAGE(set->ok(), set->render_diagnostics());
  size_t again_index = set->rules.size();
  for (size_t i = 0; i < set->rules.size(); ++i)
    if (set->rules[i].title == "a again") again_index = i;
  REQUIRE(again_index < set->rules.size());
  EngineOptions o;
  o.max_groups_per_rule = 2;
  std::vector<std::string> again;  // source.ip of each "a again" alert
  Engine e(set, [&](const soc::Event& al) {
    if (al.get_string("rule.name") == "a again") again.emplace_back(al.find("source.ip")->to_text());
  }, o);
  const std::vector<std::pair<int, const char*>> events = {
      {0, "10.0.0.1"}, {1, "10.0.0.2"}, {2, "10.0.0.2"}, {3, "10.0.0.3"}, {4, "10.0.0.2"},
      {5, "10.0.0.4"}, {6, "10.0.0.2"}, {7, "10.0.0.5"}, {8, "10.0.0.2"}, {9, "10.0.0.2"}};
  for (const auto& [secs, ip] : events) {
    const auto ts = soc::Timestamp{} + std::chrono::hours(24 * 365 * 56) + std::chrono::seconds(secs);
    auto ev = soc::decode_event("{\"@timestamp\":\"" + soc::format_rfc3339(ts) + "\"," + a(ip) + "}");
    REQUIRE(ev.ok());
    e.process(*ev);
  }
  CHECK(again == std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"});
  CHECK(e.counters().suppressed == 5);  // every repeat of .2
  CHECK(e.counters().evicted_groups == 3);  // .1, .3, .4
  CHECK(e.rule_stats()[again_index].evicted == 3);  // soc_rule_groups_evicted_total{rule="a again"}
}

TEST_CASE("suppression of a plain rule groups by the fields it names") {
  auto r = run("title: unused\ncorrelation:\n  type: event_count\n  rules: [b]\n  timespan: 1m\n"
               "  condition: {gte: 100}\n---\ntitle: a again\nsuppress: {timespan: 10s, by: [source.ip]}\n"
               "detection:\n  sel: {rule: a}\n  condition: sel\n",
               {{0, a()}, {1, a()}, {2, a("10.0.0.2")}, {11, a()}});
  // Rule "a" (plain, unsuppressed) alerts 4 times; "a again" 3 times (1 held back for .1).
  size_t again = 0;
  for (const auto& al : r.alerts) again += al.get_string("rule.name") == "a again" ? 1 : 0;
  CHECK(again == 3);
  CHECK(r.counters.suppressed == 1);
}

TEST_CASE("alerts carry the evidence: ids, else observer.name:event.sequence, else a bounded sample") {
  // Ids: event.id when present, else the sensor's name and the event's sequence number.
  auto r = run(kCount3In60, {{0, a() + R"(,"event.id":"e-1")"},
                             {1, a() + R"(,"observer.name":"s1","event.sequence":7)"},
                             {2, a() + R"(,"observer.name":"s1","event.sequence":8)"}});
  REQUIRE(r.alerts.size() == 1);
  const auto* ev = r.alerts[0].find("soc.evidence");
  REQUIRE(ev != nullptr);
  CHECK(ev->to_text() == "e-1,s1:7,s1:8");
  // The alert's technique is upper case, the group-by field is top level, start/end are the
  // evidence's first and last event times.
  CHECK(r.alerts[0].find("threat.technique.id")->to_text() == "T1110");
  CHECK(r.alerts[0].find("source.ip")->to_text() == "10.0.0.1");
  CHECK(*r.alerts[0].get_timestamp("event.end") - *r.alerts[0].get_timestamp("event.start") == std::chrono::seconds(2));
  // Without ids: samples of the events (their JSON), at most 10 per alert.
  std::vector<std::pair<double, std::string>> many;
  for (int i = 0; i < 30; ++i) many.emplace_back(i, a());
  const char* rules = R"(title: thirty
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 1h
  condition: {gte: 30}
)";
  auto s = run(rules, many);
  REQUIRE(s.alerts.size() == 1);
  CHECK(s.alerts[0].get_int("soc.count") == 30);
  const auto* sample = s.alerts[0].find("soc.evidence");
  REQUIRE(sample != nullptr);
  REQUIRE(sample->as_list().size() == 10);
  auto first = soc::decode_event(sample->as_list()[0].as_string());
  REQUIRE(first.ok());
  CHECK(first->get_string("rule") == "a");
  // A chained correlation's alert carries the evidence of the alerts behind it.
  const char* chained = R"(title: pairs
name: pairs
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 2}
---
title: two pairs
correlation:
  type: event_count
  rules: [pairs]
  group-by: [source.ip]
  timespan: 1h
  condition: {gte: 2}
)";
  auto c = run(chained, {{0, a() + R"(,"event.id":"x1")"}, {1, a() + R"(,"event.id":"x2")"},
                         {100, a() + R"(,"event.id":"x3")"}, {101, a() + R"(,"event.id":"x4")"}});
  REQUIRE(c.alerts.size() == 1);
  CHECK(c.alerts[0].find("soc.evidence")->to_text() == "x1,x2,x3,x4");
  // A plain rule's alert: its one event.
  auto p = run("", {{0, a() + R"(,"event.id":"only")"}});
  REQUIRE(p.alerts.size() == 1);
  CHECK(p.alerts[0].find("soc.evidence")->to_text() == "only");
}

TEST_CASE("exceptions: a plain rule's excepted events neither alert nor count for correlations") {
  const char* rules = R"(title: rule c
name: c
exceptions:
  - source.ip|cidr: 10.9.0.0/16
  - user.name: backup
    host.hostname|startswith: db
detection:
  sel: {rule: c}
  condition: sel
---
title: three c
generate: true
correlation:
  type: event_count
  rules: [c]
  group-by: [source.ip]
  timespan: 60s
  condition: {gte: 3}
)";
  auto c = [](const char* ip, const char* extra = "") {
    return std::string(R"("rule":"c","source.ip":")") + ip + "\"" + extra;
  };
  auto r = run(rules, {{0, c("10.9.1.1")}, {1, c("10.9.1.1")}, {2, c("10.9.1.1")},  // allowlisted network
                       {3, c("10.0.0.5", R"(,"user.name":"backup","host.hostname":"db01")")},
                       {4, c("10.0.0.5", R"(,"user.name":"backup","host.hostname":"web01")")},  // not both
                       {5, c("10.0.0.5", R"(,"user.name":"alice")")}});
  // Only the two events of 10.0.0.5 not excepted alert; three are needed for the correlation.
  REQUIRE(r.alerts.size() == 2);
  CHECK(r.alerts[0].get_string("host.hostname") == "web01");
  CHECK(r.alerts[1].get_string("user.name") == "alice");
  CHECK(r.counters.excepted == 4);
}

TEST_CASE("exceptions: a correlation's exceptions are tested on its alert (group-by fields)") {
  const char* rules = R"(title: three a
exceptions:
  source.ip|cidr: [192.168.0.0/16, 10.1.0.0/16]
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 60s
  condition: {gte: 3}
)";
  auto r = run(rules, {{0, a("10.1.2.3")}, {1, a("10.1.2.3")}, {2, a("10.1.2.3")},
                       {3, a("10.2.2.3")}, {4, a("10.2.2.3")}, {5, a("10.2.2.3")}});
  REQUIRE(r.alerts.size() == 1);
  CHECK(r.alerts[0].find("source.ip")->to_text() == "10.2.2.3");
  CHECK(r.counters.excepted == 1);
}

TEST_CASE("lateness boundary: an event exactly allowed_lateness behind the newest counts, 1 µs more does not") {
  EngineOptions o;
  o.allowed_lateness = std::chrono::seconds(10);
  auto at = run(kCount3In60, {{100, a()}, {101, a()}, {91, a()}}, o);  // 101 - 10 = 91: in time
  CHECK(at.counters.late_events == 0);
  REQUIRE(at.alerts.size() == 1);
  CHECK(*at.alerts[0].get_timestamp("event.start") - *at.alerts[0].get_timestamp("event.end") == std::chrono::seconds(-10));
  auto past = run(kCount3In60, {{100, a()}, {101, a()}, {90.999999, a()}}, o);
  CHECK(past.counters.late_events == 1);
  CHECK(past.alerts.empty());
}

TEST_CASE("a late event within the lateness takes its place in time: ordered and window boundary") {
  EngineOptions o;
  o.allowed_lateness = std::chrono::seconds(30);
  const char* ordered = R"(title: a then b
correlation:
  type: temporal_ordered
  rules: [a, b]
  group-by: [source.ip]
  timespan: 60s
)";
  // b arrives first (t=20), a arrives late but happened before it (t=10): a then b in time.
  auto r = run(ordered, {{20, b()}, {10, a()}}, o);
  REQUIRE(r.alerts.size() == 1);
  // a arrives first (t=30), b arrives late but happened before it (t=25): in time b comes
  // first, so the order is not met although the arrival order is a, b.
  auto n = run(ordered, {{30, a()}, {25, b()}}, o);
  CHECK(n.alerts.empty());
  // A late event that lands exactly one timespan before the newest is inside the window.
  auto edge = run(kCount3In60, {{60, a()}, {70, a()}, {10, a()}}, EngineOptions{std::chrono::seconds(60)});
  REQUIRE(edge.alerts.size() == 1);
  CHECK(*edge.alerts[0].get_timestamp("event.end") - *edge.alerts[0].get_timestamp("event.start") == std::chrono::seconds(60));
  auto beyond = run(kCount3In60, {{60, a()}, {70, a()}, {9.999999, a()}}, EngineOptions{std::chrono::seconds(61)});
  CHECK(beyond.alerts.empty());
}

TEST_CASE("exceptions: a shared allowlist document applies to the rules it names, across files") {
  const char* rules = R"(title: our scanners
allowlist:
  rules: [a]
  exceptions:
    source.ip|cidr: 10.9.0.0/16
)";
  auto r = run(rules, {{0, a("10.9.0.1")}, {1, a("10.0.0.1")}, {2, b("10.9.0.1")}});
  REQUIRE(r.alerts.size() == 2);  // a from the allowlisted network is dropped; b is not named
  CHECK(r.alerts[0].find("source.ip")->to_text() == "10.0.0.1");
  CHECK(r.alerts[1].get_string("rule.name") == "rule b");
  CHECK(r.counters.excepted == 1);
  // Without `rules` it applies to every rule; an unknown reference is reported with its place.
  Loader l(FieldMapping{});
  l.load_text("c.yml", kBase);
  l.load_text("allow.yml", "title: x\nallowlist:\n  rules: [nope]\n  exceptions: {source.ip: 1.2.3.4}\n");
  RuleSet set = l.finish();
  REQUIRE(set.diagnostics.size() == 1);
  CHECK(set.diagnostics[0].code == "rule.unknown_reference");
  CHECK(set.diagnostics[0].line == 3);
  Loader all(FieldMapping{});
  all.load_text("c.yml", kBase);
  all.load_text("allow.yml", "title: x\nallowlist:\n  exceptions: {source.ip: 1.2.3.4}\n");
  RuleSet every = all.finish();
  REQUIRE(every.ok());
  for (const auto& rule : every.rules) CHECK(rule.exceptions.alternatives.size() == 1);
}

namespace {

struct DetailedRun {
  std::vector<soc::Event> alerts;
  std::vector<AlertDetails> details;
  EngineCounters counters;
};

DetailedRun run_detailed(const std::string& rules, const std::vector<std::pair<double, std::string>>& events,
                         EngineOptions options) {
  Loader l(FieldMapping{});
  l.load_text("c.yml", std::string(kBase) + rules);
  auto set = std::make_shared<RuleSet>(l.finish());
  REQUIRE_MESSAGE(set->ok(), set->render_diagnostics());
  DetailedRun r;
  Engine e(set,
           Engine::DetailedSink([&](const soc::Event& a, const AlertDetails& d) {
             r.alerts.push_back(a);
             r.details.push_back(d);
           }),
           options);
  for (const auto& [secs, members] : events) {
    const auto ts = soc::Timestamp{} + std::chrono::hours(24 * 365 * 56) +
                    std::chrono::microseconds(static_cast<int64_t>(secs * 1e6));
    auto ev = soc::decode_event("{\"@timestamp\":\"" + soc::format_rfc3339(ts) + "\"," + members + "}");
    REQUIRE(ev.ok());
    e.process(*ev);
  }
  e.flush();
  r.counters = e.counters();
  return r;
}

std::string seq(int n) { return R"(,"observer.name":"s1","event.sequence":)" + std::to_string(n); }

}  // namespace

TEST_CASE("an alert names its severity as a word and carries the key fields of the event that completed it") {
  // "Login success after a brute force": the account is in the success, not in the failures.
  const char* rules = R"(title: brute
name: brute
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 2}
---
title: success after brute
level: critical
correlation:
  type: temporal_ordered
  rules: [brute, b]
  group-by: [source.ip]
  timespan: 30m
)";
  auto r = run(rules, {{0, a() + R"(,"user.name":"guess1")"},
                       {1, a() + R"(,"user.name":"guess2")"},
                       {60, b() + R"(,"user.name":"root","destination.ip":"10.1.2.3","destination.port":22)"}});
  REQUIRE(r.alerts.size() == 1);
  const auto& alert = r.alerts[0];
  CHECK(alert.get_string("soc.severity") == "critical");
  CHECK(alert.get_string("user.name") == "root");
  CHECK(alert.find("destination.ip")->to_text() == "10.1.2.3");
  CHECK(alert.get_int("destination.port") == 22);
  CHECK(alert.find("source.ip")->to_text() == "10.0.0.1");  // the group-by field
  // A plain rule's alert copies the key fields of its event, the URL among them.
  auto p = run("", {{0, a() + R"(,"url.original":"/wp-login.php","user.name":"x")"}});
  REQUIRE(p.alerts.size() == 1);
  CHECK(p.alerts[0].get_string("url.original") == "/wp-login.php");
  CHECK(p.alerts[0].get_string("soc.severity") == "medium");
}

TEST_CASE("a window of more than ten events cites the first nine and the one that completed it") {
  const char* rules = R"(title: twelve
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 1h
  condition: {gte: 12}
)";
  std::vector<std::pair<double, std::string>> events;
  for (int i = 1; i <= 12; ++i) events.emplace_back(i, a() + seq(i));
  auto r = run(rules, events);
  REQUIRE(r.alerts.size() == 1);
  CHECK(r.alerts[0].find("soc.evidence")->to_text() == "s1:1,s1:2,s1:3,s1:4,s1:5,s1:6,s1:7,s1:8,s1:9,s1:12");
}

TEST_CASE("with keep_evidence the cited events come with the alert, bounded in size") {
  const char* rules = R"(title: twelve
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 1h
  condition: {gte: 12}
)";
  std::vector<std::pair<double, std::string>> events;
  for (int i = 1; i <= 12; ++i) events.emplace_back(i, a() + seq(i));
  EngineOptions o;
  o.keep_evidence = true;
  auto r = run_detailed(rules, events, o);
  REQUIRE(r.alerts.size() == 1);
  const auto& ev = r.details[0].evidence;
  REQUIRE(ev.size() == 10);
  CHECK(ev[0].id == "s1:1");
  // Events are encoded once their group is warm (half its threshold: the 6th of 12), not before:
  // most groups never get there.
  CHECK_FALSE(ev[0].json);
  CHECK_FALSE(ev[4].json);
  REQUIRE(ev[5].json);
  CHECK(soc::decode_event(*ev[5].json)->get_int("event.sequence") == 6);
  CHECK(ev[9].id == "s1:12");
  REQUIRE(ev[9].json);  // the event that completed the window, encoded when it fired
  CHECK(soc::decode_event(*ev[9].json)->get_int("event.sequence") == 12);
  CHECK_FALSE(r.details[0].suppressed);

  // A budget smaller than one event: ids only, counted.
  o.max_evidence_bytes = 16;
  auto tight = run_detailed(rules, events, o);
  REQUIRE(tight.alerts.size() == 1);
  CHECK(tight.details[0].evidence.size() == 10);
  CHECK_FALSE(tight.details[0].evidence[5].json);
  CHECK(tight.counters.evidence_dropped > 0);

  // Without keep_evidence nothing is encoded.
  auto none = run_detailed(rules, events, EngineOptions{});
  CHECK_FALSE(none.details[0].evidence[0].json);
  CHECK(none.details[0].evidence[0].id == "s1:1");

  // A chained correlation hands on the events of the alerts behind it; a plain rule its event.
  const char* chained = R"(title: pairs
name: pairs
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 2}
---
title: two pairs
correlation:
  type: event_count
  rules: [pairs]
  group-by: [source.ip]
  timespan: 1h
  condition: {gte: 2}
)";
  o.max_evidence_bytes = 1 << 20;
  auto c = run_detailed(chained, {{0, a() + seq(1)}, {1, a() + seq(2)}, {100, a() + seq(3)}, {101, a() + seq(4)}}, o);
  REQUIRE(c.alerts.size() == 1);
  REQUIRE(c.details[0].evidence.size() == 4);
  for (const auto& e : c.details[0].evidence) CHECK(e.json);
  auto p = run_detailed("", {{0, a() + seq(5)}}, o);
  REQUIRE(p.details.size() == 1);
  REQUIRE(p.details[0].evidence.size() == 1);
  CHECK(p.details[0].evidence[0].id == "s1:5");
  CHECK(p.details[0].evidence[0].json);
}

TEST_CASE("with report_suppressed the held-back alerts reach a detailed sink marked as repeats") {
  const char* rules = R"(title: a once in ten minutes
name: a_quiet
suppress: 10m
detection:
  sel: {rule: a}
  condition: sel
)";
  EngineOptions o;
  o.report_suppressed = true;
  auto r = run_detailed(rules, {{0, a()}, {60, a()}, {120, a()}, {700, a()}}, o);
  // Rule "a" itself alerts too; keep the suppressed rule's.
  std::vector<bool> held;
  for (size_t i = 0; i < r.alerts.size(); ++i)
    if (r.alerts[i].get_string("rule.id") == "a_quiet") held.push_back(r.details[i].suppressed);
  CHECK(held == std::vector<bool>{false, true, true, false});
  // A plain sink sees only the alerts that go out, as before.
  auto plain = run(rules, {{0, a()}, {60, a()}, {120, a()}, {700, a()}}, o);
  size_t quiet = 0;
  for (const auto& alert : plain.alerts) quiet += alert.get_string("rule.id") == "a_quiet";
  CHECK(quiet == 2);
  CHECK(plain.alerts.back().get_int("soc.suppressed") == 2);
}
