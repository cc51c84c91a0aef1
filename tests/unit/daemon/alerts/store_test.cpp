#include "daemon/alerts/store.h"

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "core/json_codec.h"
#include "core/json_tree.h"
#include "daemon/alerts/sqlite.h"
#include "tests/unit/test_support.h"

namespace soc::daemon::alerts {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

Timestamp at(int64_t s) { return Timestamp(std::chrono::seconds(1'800'000'000 + s)); }

// A clock the test moves by hand.
struct FakeClock {
  Timestamp t = at(0);
  std::function<Timestamp()> fn() {
    return [this] { return t; };
  }
};

struct Recorder : Dispatcher {
  std::mutex m;
  std::vector<Notice> notices;
  void publish(const Notice& n) override {
    std::lock_guard lock(m);
    notices.push_back(n);
  }
  std::vector<std::pair<NoticeKind, int64_t>> kinds() {
    std::lock_guard lock(m);
    std::vector<std::pair<NoticeKind, int64_t>> out;
    for (const auto& n : notices) out.emplace_back(n.kind, n.id);
    return out;
  }
};

RuleInfo brute_force() {
  RuleInfo r;
  r.id = "ssh-brute";
  r.name = "SSH brute force from one address";
  r.severity = 4;
  r.group_fields = {"source.ip"};
  r.quiet = minutes(10);
  return r;
}

Event alert_of(const RuleInfo& r, std::string_view ip, Timestamp t, std::string_view user = "root") {
  Event e;
  e.set("@timestamp", t);
  e.set("event.kind", "alert");
  e.set("rule.id", r.id);
  e.set("rule.name", r.name);
  e.set("event.severity", static_cast<int64_t>(r.severity));
  e.set("site.id", "xa-thach-ha");
  e.set("site.name", "UBND xã Thạch Hà");
  e.set("source.ip", std::string(ip));
  e.set("user.name", std::string(user));
  e.set("soc.count", int64_t{10});
  return e;
}

// The baseline's "sensor silent" rule, and its finding for one sensor (`subject`).
RuleInfo sensor_silent() {
  RuleInfo r;
  r.id = "soc.sensor.silent";
  r.name = "Sensor silent";
  r.source = "baseline";
  r.group_fields = kBaselineGroup;
  return r;
}

Event silent_finding(std::string_view subject) {
  Event e;
  e.set("@timestamp", at(0));
  e.set("event.kind", "alert");
  e.set("rule.id", "soc.sensor.silent");
  e.set("event.severity", int64_t{4});
  e.set("site.id", "xa-thach-ha");
  e.set("soc.subject", std::string(subject));
  e.set("soc.system.id", "dvc");
  e.set("soc.requirement.id", "MON-01");
  e.set("message", "Sensor silent: " + std::string(subject));
  return e;
}

struct Fixture {
  test::TempDir dir;
  telemetry::Registry metrics;
  FakeClock clock;
  Recorder notices;
  std::unique_ptr<AlertStore> store;

  explicit Fixture(StoreOptions o = {}) { open(std::move(o)); }
  void open(StoreOptions o = {}) {
    store.reset();
    o.clock = clock.fn();
    auto s = AlertStore::open((dir.path() / "alerts.db").string(), metrics, o);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    store = std::move(*s);
    store->set_dispatcher(&notices);
  }
  void record(const Event& e, const RuleInfo& r, std::span<const rules::EvidenceEvent> ev = {}, bool held = false) {
    auto res = store->record(e, r, ev, held);
    REQUIRE_MESSAGE(res.ok(), (res.ok() ? "" : res.error().message));
  }
  void commit() {
    auto res = store->commit();
    REQUIRE_MESSAGE(res.ok(), (res.ok() ? "" : res.error().message));
  }
  std::vector<AlertRecord> all(AlertFilter f = {}) {
    f.limit = 1000;
    auto p = store->list(f);
    REQUIRE(p.ok());
    return p->alerts;
  }
  AlertDetail detail(int64_t id) {
    auto d = store->get(id);
    REQUIRE(d.ok());
    REQUIRE(d->has_value());
    return **d;
  }
  std::string metric(const std::string& series) {
    const std::string text = "\n" + metrics.serialize();
    const size_t p = text.find("\n" + series + " ") + 1;
    return p == 0 ? "" : text.substr(p + series.size() + 1, text.find('\n', p) - p - series.size() - 1);
  }
};

TEST_CASE("repeats of one rule and group fold into one alert with a count and first and last seen") {
  Fixture f;
  const RuleInfo r = brute_force();
  f.record(alert_of(r, "203.0.113.7", at(0)), r);
  f.record(alert_of(r, "203.0.113.7", at(60), "admin"), r);
  f.record(alert_of(r, "198.51.100.9", at(30)), r);
  f.commit();
  f.record(alert_of(r, "203.0.113.7", at(120), "oracle"), r);
  f.commit();

  const auto alerts = f.all();
  REQUIRE(alerts.size() == 2);
  const AlertRecord& a = alerts[0];  // newest first: last seen at 120
  CHECK(a.rule_id == "ssh-brute");
  CHECK(a.rule_name == "SSH brute force from one address");
  CHECK(a.count == 3);
  CHECK(a.first_seen == at(0));
  CHECK(a.last_seen == at(120));
  CHECK(a.state == AlertState::Open);
  CHECK(a.severity == 4);
  CHECK(a.site_id == "xa-thach-ha");
  CHECK(a.site_name == "UBND xã Thạch Hà");
  CHECK(a.group_json == R"({"source.ip":"203.0.113.7"})");
  // The key fields are those of the latest occurrence.
  CHECK(a.fields_json == R"({"source.ip":"203.0.113.7","user.name":"oracle"})");
  CHECK(a.summary == "SSH brute force from one address: source.ip=203.0.113.7 (10 events)");
  CHECK(alerts[1].count == 1);
  CHECK(alerts[1].group_json == R"({"source.ip":"198.51.100.9"})");

  // One notice per alert and batch, in order: the first batch opened two, the second repeated one.
  const auto k = f.notices.kinds();
  REQUIRE(k.size() == 3);
  CHECK(k[0] == std::pair{NoticeKind::Firing, a.id});
  CHECK(k[1] == std::pair{NoticeKind::Firing, alerts[1].id});
  CHECK(k[2] == std::pair{NoticeKind::Repeat, a.id});
  CHECK(f.notices.notices[0].count == 2);
  CHECK(f.notices.notices[2].count == 3);
  CHECK(f.notices.notices[2].alert.get_string("user.name") == "oracle");

  // Opened, a repeat in the same batch, a repeat in the next.
  const auto d = f.detail(a.id);
  REQUIRE(d.history.size() == 3);
  CHECK(d.history[0].action == "opened");
  CHECK(d.history[1].action == "repeated");
  CHECK(d.history[1].count == 1);
  CHECK(d.history[2].action == "repeated");
}

TEST_CASE("open alerts are counted per site and severity; resolved ones and alerts without a site are not") {
  Fixture f;
  const RuleInfo r = brute_force();
  f.record(alert_of(r, "203.0.113.7", at(0)), r);  // resolves below
  f.commit();
  f.clock.t = at(0) + minutes(5);
  f.record(alert_of(r, "203.0.113.8", at(1)), r);  // acknowledged below: still not resolved
  Event other = alert_of(r, "203.0.113.9", at(2));
  other.set("site.id", "dc-hatinh");
  f.record(other, r);
  Event nowhere = alert_of(r, "203.0.113.10", at(3));
  nowhere.erase("site.id");
  f.record(nowhere, r);
  f.commit();
  REQUIRE(f.store->resolve_due(at(0) + minutes(11)).ok());
  AlertFilter by_source;
  by_source.source_ip = "203.0.113.8";
  const auto alerts = f.all(by_source);
  REQUIRE(alerts.size() == 1);
  REQUIRE(f.store->acknowledge(alerts[0].id, "lan", "").ok());
  auto counts = f.store->open_counts_by_site();
  REQUIRE(counts.ok());
  CHECK(counts->size() == 2);
  CHECK((*counts)["xa-thach-ha"]["high"] == 1);
  CHECK((*counts)["dc-hatinh"]["high"] == 1);
}

TEST_CASE("readers see a batch's alerts only once it is committed") {
  Fixture f;
  const RuleInfo r = brute_force();
  f.record(alert_of(r, "203.0.113.7", at(0)), r);
  CHECK(f.all().empty());
  CHECK(f.notices.kinds().empty());
  f.commit();
  CHECK(f.all().size() == 1);
  CHECK(f.notices.kinds().size() == 1);
}

TEST_CASE("an acknowledgement records who, when and why; again adds history; a resolved alert refuses it") {
  Fixture f;
  const RuleInfo r = brute_force();
  f.record(alert_of(r, "203.0.113.7", at(0)), r);
  f.commit();
  const int64_t id = f.all()[0].id;

  f.clock.t = at(100);
  auto a = f.store->acknowledge(id, "lan", "blocked at the firewall");
  REQUIRE(a.ok());
  CHECK(a->state == AlertState::Acknowledged);
  REQUIRE(a->acknowledged);
  CHECK(a->acknowledged->by == "lan");
  CHECK(a->acknowledged->at == at(100));
  CHECK(a->acknowledged->comment == "blocked at the firewall");
  f.clock.t = at(200);
  REQUIRE(f.store->acknowledge(id, "minh", "ISP informed").ok());

  // A repeat keeps it acknowledged.
  f.record(alert_of(r, "203.0.113.7", at(300)), r);
  f.commit();
  const auto d = f.detail(id);
  CHECK(d.alert.state == AlertState::Acknowledged);
  CHECK(d.alert.acknowledged->by == "minh");
  CHECK(d.alert.count == 2);
  std::vector<std::string> actions;
  for (const auto& h : d.history) actions.push_back(h.action);
  CHECK(actions == std::vector<std::string>{"opened", "acknowledged", "acknowledged", "repeated"});
  CHECK(d.history[1].by == std::optional<std::string>("lan"));
  CHECK(d.history[2].comment == std::optional<std::string>("ISP informed"));
  const auto k = f.notices.kinds();
  CHECK(std::count(k.begin(), k.end(), std::pair{NoticeKind::Acknowledged, id}) == 2);

  auto missing = f.store->acknowledge(id + 100, "lan", "");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "not_found");

  f.clock.t = at(300) + minutes(11);
  REQUIRE(f.store->resolve_due(f.clock.t).ok());
  auto late = f.store->acknowledge(id, "lan", "too late");
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == "conflict");
  CHECK(f.detail(id).history.size() == 5);  // the refused ack added nothing
}

TEST_CASE("an alert resolves when its quiet period passes without a repeat; a later repeat opens a new one") {
  Fixture f;
  const RuleInfo r = brute_force();  // quiet 10 minutes
  f.record(alert_of(r, "203.0.113.7", at(0)), r);
  f.commit();
  f.clock.t = at(0) + minutes(9);
  f.record(alert_of(r, "203.0.113.7", at(540)), r);  // a repeat pushes the deadline
  f.commit();
  auto n = f.store->resolve_due(at(0) + minutes(12));
  REQUIRE(n.ok());
  CHECK(*n == 0);
  n = f.store->resolve_due(at(0) + minutes(19));
  REQUIRE(n.ok());
  CHECK(*n == 1);
  auto alerts = f.all();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].state == AlertState::Resolved);
  CHECK(alerts[0].resolved_at == at(0) + minutes(19));
  const auto d = f.detail(alerts[0].id);
  CHECK(d.history.back().action == "resolved");
  CHECK(d.history.back().comment == std::optional<std::string>("no repeat for 10m"));
  CHECK(f.notices.kinds().back() == std::pair{NoticeKind::Resolved, alerts[0].id});
  CHECK(f.notices.notices.back().resolved_at == at(0) + minutes(19));
  CHECK(f.metric("soc_alerts_resolved_total{reason=\"quiet\"}") == "1");

  f.record(alert_of(r, "203.0.113.7", at(2000)), r);
  f.commit();
  alerts = f.all();
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].state == AlertState::Open);
  CHECK(alerts[0].count == 1);
  CHECK(alerts[0].id != alerts[1].id);
}

TEST_CASE("the store's own thread resolves quiet alerts without any new event") {
  StoreOptions o;
  o.tick = std::chrono::milliseconds(20);
  Fixture f(o);
  RuleInfo r = brute_force();
  r.quiet = std::chrono::milliseconds(100);
  f.record(alert_of(r, "203.0.113.7", at(0)), r);
  f.commit();
  f.store->start();
  f.clock.t = at(1);  // the store's clock moves; no event arrives
  bool resolved = false;
  for (int i = 0; i < 200 && !resolved; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    resolved = f.all()[0].state == AlertState::Resolved;
  }
  CHECK(resolved);
}

TEST_CASE("a repeat that suppression held back folds into the open alert and never opens one") {
  Fixture f;
  const RuleInfo r = brute_force();
  f.record(alert_of(r, "203.0.113.7", at(0)), r, {}, true);
  f.commit();
  CHECK(f.all().empty());
  f.record(alert_of(r, "203.0.113.7", at(10)), r);
  f.record(alert_of(r, "203.0.113.7", at(20)), r, {}, true);
  f.commit();
  const auto alerts = f.all();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].count == 2);
  CHECK(alerts[0].last_seen == at(20));
}

TEST_CASE("a baseline alert resolves when its finding clears; reconcile resolves those not active") {
  Fixture f;
  const RuleInfo silent = sensor_silent();
  f.record(silent_finding("pkt-1"), silent);
  f.record(silent_finding("log-1"), silent);
  f.record(silent_finding("log-2"), silent);
  f.commit();
  CHECK(f.all().size() == 3);
  CHECK(f.all()[0].resolved_at == std::nullopt);

  // pkt-1 is heard again: its finding clears.
  REQUIRE(f.store->resolve("soc.sensor.silent", group_key(silent_finding("pkt-1"), kBaselineGroup), "cleared").ok());
  f.commit();
  // After a restart only log-1 is still silent.
  auto n = f.store->reconcile("baseline", {{"soc.sensor.silent", group_key(silent_finding("log-1"), kBaselineGroup)}}, "gone");
  REQUIRE(n.ok());
  CHECK(*n == 1);
  f.commit();
  AlertFilter open;
  open.states = {AlertState::Open};
  const auto still = f.all(open);
  REQUIRE(still.size() == 1);
  CHECK(still[0].summary == "Sensor silent: log-1");
  CHECK(f.metric("soc_alerts_resolved_total{reason=\"cleared\"}") == "2");
}

TEST_CASE("open and acknowledged alerts are still there, in their state, after the store is opened again") {
  Fixture f;
  const RuleInfo r = brute_force();
  f.record(alert_of(r, "203.0.113.7", at(0)), r);
  f.record(alert_of(r, "198.51.100.9", at(1)), r);
  f.commit();
  const auto before = f.all();
  REQUIRE(f.store->acknowledge(before[1].id, "lan", "watching").ok());
  f.open();  // a new AlertStore on the same file, as after a restart
  const auto after = f.all();
  REQUIRE(after.size() == 2);
  CHECK(after[0].id == before[0].id);
  CHECK(after[0].state == AlertState::Open);
  CHECK(after[1].state == AlertState::Acknowledged);
  CHECK(after[1].acknowledged->comment == "watching");
  // A repeat after the restart folds into the same alert.
  f.record(alert_of(r, "203.0.113.7", at(5)), r);
  f.commit();
  CHECK(f.all()[0].count == 2);
}

TEST_CASE("restate hands the alerts still open after a restart to the sinks again, marked restated") {
  Fixture f;
  const RuleInfo r = brute_force();
  f.record(alert_of(r, "203.0.113.7", at(0)), r);
  f.record(alert_of(r, "198.51.100.9", at(1)), r);
  f.record(alert_of(r, "192.0.2.1", at(2)), r);
  f.commit();
  const auto ids = f.all();  // newest first: .1, .9, .7
  REQUIRE(f.store->acknowledge(ids[1].id, "lan", "watching").ok());
  f.clock.t = at(2) + minutes(11);
  REQUIRE(f.store->resolve(r.id, group_key(alert_of(r, "192.0.2.1", at(2)), r.group_fields), "cleared").ok());
  REQUIRE(f.store->commit().ok());
  f.open();
  f.notices.notices.clear();
  auto n = f.store->restate();
  REQUIRE(n.ok());
  CHECK(*n == 2);
  REQUIRE(f.notices.notices.size() == 2);
  // Least recently seen first; the acknowledged one says so; the resolved one is not restated.
  CHECK(f.notices.kinds() == std::vector<std::pair<NoticeKind, int64_t>>{{NoticeKind::Firing, ids[2].id},
                                                                         {NoticeKind::Acknowledged, ids[1].id}});
  for (const auto& x : f.notices.notices) {
    CHECK(x.restated);
    CHECK(x.count == 1);
    CHECK(x.alert.get_string("rule.name") == r.name);
  }
  const Value* ip = f.notices.notices[0].alert.find("source.ip");
  REQUIRE(ip);
  CHECK(ip->to_text() == "203.0.113.7");
}

TEST_CASE("retention prunes resolved alerts by age and the oldest beyond the row limit, and counts them") {
  StoreOptions o;
  o.retention_days = 1;
  o.retention_rows = 3;
  Fixture f(o);
  RuleInfo r = brute_force();
  for (int i = 0; i < 5; ++i) f.record(alert_of(r, "203.0.113." + std::to_string(i), at(i)), r);
  f.commit();
  f.clock.t = at(0) + minutes(11);
  REQUIRE(f.store->resolve_due(f.clock.t).ok());  // all five resolve
  f.record(alert_of(r, "198.51.100.1", at(1000)), r);
  f.commit();
  // Over the row limit: the three oldest resolved ones go, the open one stays.
  auto n = f.store->prune(f.clock.t);
  REQUIRE(n.ok());
  CHECK(*n == 3);
  auto alerts = f.all();
  REQUIRE(alerts.size() == 3);
  CHECK(alerts[0].state == AlertState::Open);
  CHECK(f.metric("soc_alert_store_pruned_total{reason=\"rows\"}") == "3");
  // A day later the resolved ones go for their age.
  n = f.store->prune(f.clock.t + std::chrono::hours(25));
  REQUIRE(n.ok());
  CHECK(*n == 2);
  alerts = f.all();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].state == AlertState::Open);
  CHECK(f.metric("soc_alert_store_pruned_total{reason=\"age\"}") == "2");
}

TEST_CASE("evidence events are kept per alert up to the limit, oldest first, and within the store's total") {
  StoreOptions o;
  o.max_evidence_per_alert = 3;
  Fixture f(o);
  const RuleInfo r = brute_force();
  auto ev = [](int i) {
    return rules::EvidenceEvent{"log-1:" + std::to_string(i),
                                std::make_shared<const std::string>("{\"event.sequence\":" + std::to_string(i) + "}")};
  };
  std::vector<rules::EvidenceEvent> first = {ev(1), ev(2), {"log-1:x", nullptr}};
  f.record(alert_of(r, "203.0.113.7", at(0)), r, first);
  std::vector<rules::EvidenceEvent> second = {ev(2), ev(3), ev(4)};
  f.record(alert_of(r, "203.0.113.7", at(1)), r, second);
  f.commit();
  const auto d = f.detail(f.all()[0].id);
  CHECK(d.evidence == std::vector<std::string>{"{\"event.sequence\":1}", "{\"event.sequence\":2}", "{\"event.sequence\":3}"});
  CHECK(f.metric("soc_alert_evidence_dropped_total{reason=\"per_alert\"}") == "1");

  // A smaller total budget at the next start: the oldest alerts lose their evidence first.
  StoreOptions small;
  small.max_evidence_bytes = 10;
  f.open(small);
  REQUIRE(f.store->prune(f.clock.t).ok());
  CHECK(f.detail(f.all()[0].id).evidence.empty());
  CHECK(f.metric("soc_alert_store_evidence_bytes") == "0");
}

TEST_CASE("filters, counts and pages of the list") {
  Fixture f;
  RuleInfo brute = brute_force();
  RuleInfo scan;
  scan.id = "port-scan";
  scan.name = "Port scan";
  scan.severity = 3;
  scan.group_fields = {"source.ip"};
  scan.quiet = minutes(5);
  for (int i = 0; i < 7; ++i) f.record(alert_of(brute, "203.0.113." + std::to_string(i), at(i * 10)), brute);
  Event s = alert_of(scan, "198.51.100.1", at(35));
  s.set("site.id", "dc-hatinh");
  f.record(s, scan);
  f.commit();
  REQUIRE(f.store->acknowledge(f.all()[0].id, "lan", "").ok());

  AlertFilter by_site;
  by_site.site = "dc-hatinh";
  CHECK(f.all(by_site).size() == 1);
  AlertFilter by_rule;
  by_rule.rule = "Port scan";  // a name works as well as an id
  CHECK(f.all(by_rule).size() == 1);
  AlertFilter by_sev;
  by_sev.severities = {4};
  CHECK(f.all(by_sev).size() == 7);
  AlertFilter acked;
  acked.states = {AlertState::Acknowledged};
  REQUIRE(f.all(acked).size() == 1);
  CHECK(f.all(acked)[0].last_seen == at(60));
  AlertFilter window;
  window.since = at(20);
  window.until = at(40);
  CHECK(f.all(window).size() == 4);  // 20, 30, 35, 40: both ends are included
  AlertFilter ip;
  ip.source_ip = "203.0.113.3";
  CHECK(f.all(ip).size() == 1);

  // Pages of 3 cover every alert once, newest first.
  AlertFilter page;
  page.limit = 3;
  std::vector<int64_t> seen;
  for (int guard = 0; guard < 10; ++guard) {
    auto p = f.store->list(page);
    REQUIRE(p.ok());
    for (const auto& a : p->alerts) seen.push_back(a.id);
    // Counts ignore the state filter and paging.
    CHECK(p->counts["open"]["high"] == 6);
    CHECK(p->counts["acknowledged"]["high"] == 1);
    CHECK(p->counts["open"]["medium"] == 1);
    if (!p->next) break;
    page.after = p->next;
  }
  CHECK(seen.size() == 8);
  std::vector<int64_t> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::unique(sorted.begin(), sorted.end()) == sorted.end());
  CHECK(f.metric("soc_alerts_open{severity=\"high\",state=\"open\"}") == "0");  // gauges move on the thread's tick
  f.store->update_gauges();
  CHECK(f.metric("soc_alerts_open{severity=\"high\",state=\"open\"}") == "6");
  CHECK(f.metric("soc_alerts_open{severity=\"high\",state=\"acknowledged\"}") == "1");
  CHECK(f.metric("soc_alerts_open{severity=\"critical\",state=\"open\"}") == "0");
}

TEST_CASE("an acknowledgement from another thread while a batch is open commits the batch first") {
  Fixture f;
  const RuleInfo r = brute_force();
  f.record(alert_of(r, "203.0.113.7", at(0)), r);
  f.commit();
  const int64_t id = f.all()[0].id;
  f.record(alert_of(r, "198.51.100.9", at(1)), r);  // the batch stays open
  bool acked = false;
  std::thread api([&] { acked = f.store->acknowledge(id, "lan", "").ok(); });
  api.join();
  CHECK(acked);
  CHECK(f.all().size() == 2);  // committed by the acknowledgement
  f.record(alert_of(r, "198.51.100.9", at(2)), r);
  f.commit();
  CHECK(f.all()[0].count == 2);
}

// While it lives, no file of this process may grow beyond `bytes` (RLIMIT_FSIZE): a write past
// it fails with EFBIG, as a write on a full disk fails with ENOSPC.
struct FileSizeLimit {
  rlimit before{};
  void (*old_handler)(int) = nullptr;
  explicit FileSizeLimit(uintmax_t bytes) {
    old_handler = ::signal(SIGXFSZ, SIG_IGN);  // the error, not the signal
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &before) == 0);
    rlimit l = before;
    l.rlim_cur = static_cast<rlim_t>(bytes);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &l) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &before);
    ::signal(SIGXFSZ, old_handler);
  }
};

TEST_CASE("a batch whose commit fails is kept, not lost: the next commit applies it again, once") {
  Fixture f;
  const RuleInfo r = brute_force();
  f.record(alert_of(r, "198.51.100.9", at(0)), r);
  f.commit();
  const std::size_t committed = f.notices.kinds().size();
  {
    // The write-ahead log cannot grow: the batch's commit fails, as on a full disk.
    const auto wal = f.dir.path() / "alerts.db-wal";
    REQUIRE(std::filesystem::exists(wal));
    FileSizeLimit limit(std::max(std::filesystem::file_size(wal), std::filesystem::file_size(f.dir.path() / "alerts.db")));
    (void)f.store->record(alert_of(r, "203.0.113.7", at(10)), r, {});  // fails here or at the commit
    auto c = f.store->commit();
    REQUIRE_FALSE(c.ok());
    CHECK(f.store->retained() == 1);
    auto again = f.store->commit();  // still failing: still kept
    CHECK_FALSE(again.ok());
    CHECK(f.store->retained() == 1);
  }
  CHECK(f.notices.kinds().size() == committed);  // nothing of it went to the sinks
  CHECK(std::stod(f.metric("soc_write_errors_total{output=\"alert_store\"}")) >= 2);
  CHECK(f.metric("soc_queue_depth{queue=\"alert_store\"}") == "1");
  CHECK(f.all().size() == 1);  // a reader never saw the failed batch

  f.commit();  // room again
  CHECK(f.store->retained() == 0);
  CHECK(f.metric("soc_queue_depth{queue=\"alert_store\"}") == "0");
  const auto alerts = f.all();
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].group_json.find("203.0.113.7") != std::string::npos);
  CHECK(alerts[0].count == 1);
  const auto kinds = f.notices.kinds();
  REQUIRE(kinds.size() == committed + 1);
  CHECK(kinds.back() == std::make_pair(NoticeKind::Firing, alerts[0].id));
  f.commit();  // nothing left: nothing applied twice
  CHECK(f.all()[0].count == 1);
}

TEST_CASE("a resolution in a batch that failed and was applied again is counted once") {
  Fixture f;
  const RuleInfo silent = sensor_silent();
  f.record(silent_finding("pkt-1"), silent);
  f.commit();
  const RuleInfo r = brute_force();
  {
    const auto wal = f.dir.path() / "alerts.db-wal";
    REQUIRE(std::filesystem::exists(wal));
    FileSizeLimit limit(std::max(std::filesystem::file_size(wal), std::filesystem::file_size(f.dir.path() / "alerts.db")));
    // The resolution and a new alert in one batch, whose commit cannot be written.
    (void)f.store->resolve("soc.sensor.silent", group_key(silent_finding("pkt-1"), kBaselineGroup), "cleared");
    (void)f.store->record(alert_of(r, "203.0.113.7", at(10)), r, {});
    REQUIRE_FALSE(f.store->commit().ok());
    REQUIRE_FALSE(f.store->commit().ok());  // applied again, and failing again
    CHECK(f.metric("soc_alerts_resolved_total{reason=\"cleared\"}") == "0");
  }
  f.commit();  // room again: the batch commits, once
  AlertFilter open;
  open.states = {AlertState::Open};
  CHECK(f.all(open).size() == 1);  // the new alert; pkt-1's is resolved
  CHECK(f.metric("soc_alerts_resolved_total{reason=\"cleared\"}") == "1");
}

TEST_CASE("a database written by a newer correlator is refused with both versions named") {
  test::TempDir dir;
  const std::string path = (dir.path() / "alerts.db").string();
  {
    auto db = sql::Database::open(path);
    REQUIRE(db.ok());
    REQUIRE((*db)->exec("PRAGMA user_version = 7").ok());
  }
  telemetry::Registry metrics;
  auto s = AlertStore::open(path, metrics);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "config");
  CHECK(s.error().message.find("schema 7, this one knows 1") != std::string::npos);
}

TEST_CASE("the database file is private and in write-ahead-log mode") {
  Fixture f;
  const auto perms = std::filesystem::status(f.dir.path() / "alerts.db").permissions();
  CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) == std::filesystem::perms::none);
  auto db = sql::Database::open((f.dir.path() / "alerts.db").string());
  REQUIRE(db.ok());
  auto s = (*db)->prepare("PRAGMA journal_mode");
  REQUIRE(s.ok());
  REQUIRE(*s->step());
  CHECK(s->text(0) == "wal");
}

// --- the hand-off to the writer thread (issue 17: no SQLite on the ingest thread) ----------------

std::string ip_of(int i) { return "10.7." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1); }

// The alerts of the store by id, oldest first: the source address of each.
std::vector<std::string> ips_by_id(Fixture& f) {
  auto alerts = f.all();
  std::sort(alerts.begin(), alerts.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::vector<std::string> ips;
  for (const auto& a : alerts) {
    const auto g = decode_event(a.group_json);
    REQUIRE(g.ok());
    const Value* ip = g->find("source.ip");
    REQUIRE(ip != nullptr);
    ips.push_back(ip->to_text());
  }
  return ips;
}

TEST_CASE("the writer thread commits what record() hands over, in order, without a commit() call") {
  StoreOptions o;
  o.tick = std::chrono::hours(1);  // the hand-off wakes the writer, not its tick
  Fixture f(o);
  f.store->start();
  const RuleInfo r = brute_force();
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i) {
    f.record(alert_of(r, ip_of(i), at(i)), r);
    want.push_back(ip_of(i));
  }
  size_t seen = 0;
  for (int i = 0; i < 500 && seen < want.size(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seen = f.all().size();
  }
  REQUIRE(seen == want.size());  // committed by the writer: readers see them
  CHECK(ips_by_id(f) == want);   // ids given in the order of record()
  f.commit();  // the batch's end: its notices go to the sinks
  auto kinds = f.notices.kinds();
  REQUIRE(kinds.size() == want.size());
  for (size_t i = 0; i < kinds.size(); ++i) {
    CHECK(kinds[i].first == NoticeKind::Firing);
    if (i > 0) CHECK(kinds[i].second > kinds[i - 1].second);  // in the order of record()
  }
  // A second batch repeats every alert; the writer commits it in one or more transactions of its
  // own: the sinks still get one notice per alert for the batch, the latest (count 2).
  for (int i = 0; i < 300; ++i) {
    f.record(alert_of(r, ip_of(i), at(1000 + i)), r);
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the writer takes a look
  }
  f.commit();
  kinds = f.notices.kinds();
  REQUIRE(kinds.size() == 2 * want.size());
  std::lock_guard lock(f.notices.m);
  for (size_t i = want.size(); i < kinds.size(); ++i) {
    CHECK(kinds[i].first == NoticeKind::Repeat);
    CHECK(kinds[i].second == kinds[i - want.size()].second);
    CHECK(f.notices.notices[i].count == 2);
  }
  CHECK(f.metric("soc_queue_depth{queue=\"alert_store_writer\"}") == "0");
}

TEST_CASE("a burst larger than the writer's queue is applied by the caller: in order, folded, nothing dropped") {
  StoreOptions o;
  o.writer_queue = 16;
  Fixture f(o);  // no writer thread: only the bound and commit() empty the queue
  const RuleInfo r = brute_force();
  for (int i = 0; i < 200; ++i) f.record(alert_of(r, ip_of(i % 100), at(i)), r);  // 100 alerts, twice each
  CHECK(std::stod(f.metric("soc_queue_full_total{queue=\"alert_store_writer\"}")) >= 10);
  CHECK(std::stod(f.metric("soc_queue_depth{queue=\"alert_store_writer\"}")) <= 16);
  f.commit();
  std::vector<std::string> want;
  for (int i = 0; i < 100; ++i) want.push_back(ip_of(i));
  CHECK(ips_by_id(f) == want);
  std::map<std::string, int> index;
  for (int i = 0; i < 100; ++i) index[ip_of(i)] = i;
  for (const auto& a : f.all()) {
    CHECK(a.count == 2);
    const auto g = decode_event(a.group_json);
    REQUIRE(g.ok());
    const Value* ip = g->find("source.ip");
    REQUIRE(ip != nullptr);
    CHECK(a.last_seen == at(index.at(ip->to_text()) + 100));  // folded
  }
  CHECK(f.metric("soc_queue_dropped_total{queue=\"alert_store\"}") == "0");
  CHECK(f.store->retained() == 0);
}

TEST_CASE("commit() returns once everything recorded before it is committed, the writer working beside it") {
  Fixture f;
  f.store->start();
  const RuleInfo r = brute_force();
  int total = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 150; ++i, ++total) f.record(alert_of(r, ip_of(total), at(total)), r);
    f.commit();
    auto counts = f.store->open_counts();
    REQUIRE(counts.ok());
    CHECK((*counts)["open"]["high"] == total);  // committed, whoever of the two committed it
    CHECK(f.notices.kinds().size() == static_cast<size_t>(total));  // and its notices published
  }
}

TEST_CASE("the last commit at shutdown drains the writer's queue: a reopened store has every alert") {
  Fixture f;
  f.store->start();
  const RuleInfo r = brute_force();
  std::vector<std::string> want;
  for (int i = 0; i < 1000; ++i) {
    f.record(alert_of(r, ip_of(i), at(i)), r);
    want.push_back(ip_of(i));
  }
  f.commit();
  f.open();  // the store (and its thread) destroyed, the file opened again
  CHECK(ips_by_id(f) == want);
}

TEST_CASE("an alert's history stops growing at max_history_per_alert entries, its opening counted") {
  StoreOptions o;
  o.max_history_per_alert = 3;
  Fixture f(o);
  const RuleInfo r = brute_force();
  for (int batch = 0; batch < 6; ++batch) {  // opened, then one repeat per batch
    f.record(alert_of(r, "203.0.113.9", at(batch)), r);
    f.commit();
  }
  const auto alerts = f.all();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].count == 6);
  const AlertDetail d = f.detail(alerts[0].id);
  REQUIRE(d.history.size() == 3);
  CHECK(d.history[0].action == "opened");
  CHECK(d.history[1].count == 1);
  CHECK(d.history[2].action == "repeated");
  CHECK(d.history[2].count == 4);  // batches 3 to 6, merged into the newest
}

TEST_CASE("the counts of unresolved alerts are read from an index, not from every alert's row") {
  Fixture f;
  const RuleInfo r = brute_force();
  for (int i = 0; i < 50; ++i) f.record(alert_of(r, ip_of(i), at(i)), r);
  f.commit();
  auto db = sql::Database::open((f.dir.path() / "alerts.db").string());
  REQUIRE(db.ok());
  auto s = (*db)->prepare(
      "EXPLAIN QUERY PLAN SELECT state, severity, count(*) FROM alerts WHERE state <> 'resolved' GROUP BY state, severity");
  REQUIRE(s.ok());
  std::string plan;
  for (;;) {
    auto row = s->step();
    REQUIRE(row.ok());
    if (!*row) break;
    plan += std::string(s->text(3)) + "\n";
  }
  CHECK(plan.find("COVERING INDEX alerts_open_counts") != std::string::npos);
  auto counts = f.store->open_counts();
  REQUIRE(counts.ok());
  CHECK((*counts)["open"]["high"] == 50);
}

}  // namespace
}  // namespace soc::daemon::alerts
