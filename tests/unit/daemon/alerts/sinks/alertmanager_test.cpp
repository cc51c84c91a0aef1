#include "daemon/alerts/sinks/alertmanager.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "daemon/alerts/sinks/notice_json.h"
#include "tests/unit/daemon/alerts/sinks/recorder.h"

using namespace soc;
using namespace soc::daemon::alerts;
using namespace soc::daemon::alerts::sinks;
using Labels = std::vector<std::pair<std::string, std::string>>;

namespace {

Event brute_force(std::string_view ip) {
  Event a;
  a.set("@timestamp", now());
  a.set("event.kind", "alert");
  a.set("rule.id", "6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a03");
  a.set("rule.name", "SSH brute force");
  a.set("event.severity", int64_t{4});
  a.set("site.id", "dc-hatinh");
  a.set("site.name", "Trung tâm dữ liệu Hà Tĩnh");
  a.set("source.ip", std::string(ip));
  a.set("user.name", "root");
  a.set("soc.group", "source.ip=" + std::string(ip));
  a.set("soc.evidence", List{Value("ssh1:1:5"), Value("ssh1:1:6")});
  return a;
}

Notice notice(NoticeKind kind, int64_t id, const Event& alert) {
  Notice n = firing_notice(alert, id);
  n.kind = kind;
  if (kind == NoticeKind::Resolved) n.resolved_at = now();
  return n;
}

// The labels object of the i-th alert of a posted list.
std::string labels_of(const std::string& body, size_t i = 0) {
  size_t pos = 0;
  for (size_t k = 0; k <= i; ++k) {
    pos = body.find("\"labels\":{", pos);
    REQUIRE(pos != std::string::npos);
    if (k < i) ++pos;
  }
  return body.substr(pos, body.find('}', pos) - pos + 1);
}

std::string field(const std::string& body, const std::string& key) {
  const std::string k = "\"" + key + "\":\"";
  const auto p = body.find(k);
  if (p == std::string::npos) return "";
  return body.substr(p + k.size(), body.find('"', p + k.size()) - p - k.size());
}

AlertmanagerOptions options(const test::Recorder& r) {
  AlertmanagerOptions o;
  o.url = r.url();
  o.external_url = "http://soc.example:9750";
  o.timeout = std::chrono::milliseconds(3000);
  return o;
}

}  // namespace

TEST_CASE("Alertmanager labels hold the rule, severity word, site and bounded group-by fields only") {
  CHECK(alertmanager_labels(brute_force("203.0.113.7")) ==
        Labels{{"alertname", "SSH brute force"},
               {"rule_id", "6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a03"},
               {"severity", "high"},
               {"site", "dc-hatinh"}});
  Event scan = brute_force("198.51.100.4");
  scan.set("destination.port", int64_t{22});
  scan.set("network.transport", "tcp");
  scan.set("soc.group", "source.ip=198.51.100.4,destination.port=22");
  CHECK(alertmanager_labels(scan) == Labels{{"alertname", "SSH brute force"},
                                            {"destination_port", "22"},
                                            {"rule_id", "6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a03"},
                                            {"severity", "high"},
                                            {"site", "dc-hatinh"}});
  Event finding;
  finding.set("event.dataset", "soc.baseline");
  finding.set("rule.id", "soc.license.expired");
  finding.set("rule.name", "License expired");
  finding.set("event.severity", int64_t{5});
  finding.set("site.id", "xa-thachha");
  finding.set("asset.id", "fw-thachha");
  finding.set("soc.system.id", "dvc");
  CHECK(alertmanager_labels(finding) == Labels{{"alertname", "License expired"},
                                               {"asset_id", "fw-thachha"},
                                               {"rule_id", "soc.license.expired"},
                                               {"severity", "critical"},
                                               {"site", "xa-thachha"},
                                               {"soc_system_id", "dvc"}});
}

TEST_CASE("a firing alert is posted with its annotations and an endsAt in the future; resolution ends it") {
  test::Recorder am("/api/v2/alerts");
  REQUIRE(am.ok());
  AlertmanagerSink sink(options(am));
  CHECK(sink.name() == "alertmanager:127.0.0.1:" + am.url().substr(am.url().rfind(':') + 1));
  const Notice n = notice(NoticeKind::Firing, 42, brute_force("203.0.113.7"));
  REQUIRE(sink.deliver({&n, 1}).ok());
  auto posted = am.posted();
  REQUIRE(posted.size() == 1);
  const std::string& body = posted[0].body;
  CHECK(posted[0].path == "/api/v2/alerts");
  CHECK(body.front() == '[');
  CHECK(labels_of(body).find("203.0.113.7") == std::string::npos);  // an address is no label
  CHECK(field(body, "summary") == "SSH brute force: user.name=root source.ip=203.0.113.7 at Trung tâm dữ liệu Hà Tĩnh");
  CHECK(field(body, "evidence") == "user.name=root; source.ip=203.0.113.7; events: ssh1:1:5 ssh1:1:6");
  CHECK(field(body, "alert_url") == "http://soc.example:9750/api/v1/alerts/42");
  CHECK(field(body, "generatorURL") == "http://soc.example:9750/api/v1/alerts/42");
  CHECK(field(body, "state") == "open");
  const auto starts = parse_rfc3339(field(body, "startsAt"));
  const auto ends = parse_rfc3339(field(body, "endsAt"));
  REQUIRE(starts);
  REQUIRE(ends);
  CHECK(*starts <= now());
  CHECK(*ends > now() + std::chrono::seconds(200));  // 240 s by default
  CHECK(sink.active() == 1);

  const Notice r = notice(NoticeKind::Resolved, 42, brute_force("203.0.113.7"));
  REQUIRE(sink.deliver({&r, 1}).ok());
  posted = am.posted();
  REQUIRE(posted.size() == 2);
  const auto ended = parse_rfc3339(field(posted[1].body, "endsAt"));
  REQUIRE(ended);
  CHECK(*ended <= now());
  CHECK(*ended >= *starts);
  CHECK(field(posted[1].body, "state") == "resolved");
  CHECK(sink.active() == 0);  // said once, then forgotten
}

TEST_CASE("store alerts with one label set are one Alertmanager alert until the last one resolves") {
  test::Recorder am("/api/v2/alerts");
  REQUIRE(am.ok());
  AlertmanagerSink sink(options(am));
  const Notice a = notice(NoticeKind::Firing, 1, brute_force("203.0.113.7"));
  const Notice b = notice(NoticeKind::Firing, 2, brute_force("198.51.100.4"));
  Notice b2 = notice(NoticeKind::Repeat, 2, brute_force("198.51.100.4"));
  b2.count = 5;
  const std::vector<Notice> batch{a, b, b2};
  REQUIRE(sink.deliver(batch).ok());
  auto posted = am.posted();
  REQUIRE(posted.size() == 1);
  CHECK(std::count(posted[0].body.begin(), posted[0].body.end(), '[') == 1);
  CHECK(posted[0].body.find("\"labels\"", posted[0].body.find("\"labels\"") + 1) == std::string::npos);  // one alert
  CHECK(field(posted[0].body, "alert_ids") == "1,2");
  CHECK(field(posted[0].body, "count") == "6");
  CHECK(field(posted[0].body, "summary") ==
        "SSH brute force: user.name=root source.ip=198.51.100.4 at Trung tâm dữ liệu Hà Tĩnh (5 times) (the latest of 2 open alerts)");
  CHECK(field(posted[0].body, "alerts") ==
        "#1: user.name=root source.ip=203.0.113.7\\n#2: user.name=root source.ip=198.51.100.4 (5 times)");

  const Notice ra = notice(NoticeKind::Resolved, 1, brute_force("203.0.113.7"));
  REQUIRE(sink.deliver({&ra, 1}).ok());
  posted = am.posted();
  REQUIRE(posted.size() == 2);
  CHECK(field(posted[1].body, "state") == "open");
  CHECK(*parse_rfc3339(field(posted[1].body, "endsAt")) > now());
  CHECK(field(posted[1].body, "alert_ids") == "2");
}

TEST_CASE("active alerts are posted again on idle; a refusal is not retried, an outage is") {
  test::Recorder am("/api/v2/alerts");
  REQUIRE(am.ok());
  auto o = options(am);
  o.resend = std::chrono::seconds(0);
  AlertmanagerSink sink(o);
  const Notice n = notice(NoticeKind::Firing, 7, brute_force("203.0.113.7"));
  REQUIRE(sink.deliver({&n, 1}).ok());
  sink.idle(now());
  sink.idle(now());
  CHECK(am.posted().size() == 3);

  am.answer({400});
  auto refused = sink.deliver({&n, 1});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == kRejected);
  am.answer({503});
  auto down = sink.deliver({&n, 1});
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().code == "http");

  AlertmanagerOptions nobody = o;
  nobody.url = "http://127.0.0.1:1";
  AlertmanagerSink dead(nobody);
  auto refused_conn = dead.deliver({&n, 1});
  REQUIRE_FALSE(refused_conn.ok());
  CHECK(refused_conn.error().code == "http");
}

TEST_CASE("a resolution whose post failed is posted again with the retry") {
  test::Recorder am("/api/v2/alerts");
  REQUIRE(am.ok());
  AlertmanagerSink sink(options(am));
  const Notice f = notice(NoticeKind::Firing, 3, brute_force("203.0.113.7"));
  REQUIRE(sink.deliver({&f, 1}).ok());
  const Notice r = notice(NoticeKind::Resolved, 3, brute_force("203.0.113.7"));
  am.answer({500});
  REQUIRE_FALSE(sink.deliver({&r, 1}).ok());
  CHECK(sink.active() == 1);
  REQUIRE(sink.deliver({&r, 1}).ok());  // the dispatcher's retry: the same batch
  const auto posted = am.posted();
  REQUIRE(posted.size() == 2);
  CHECK(field(posted[1].body, "state") == "resolved");
  CHECK(sink.active() == 0);
}

TEST_CASE("without an alert store (id 0) each alert is posted once, not re-sent, and ends by itself") {
  test::Recorder am("/api/v2/alerts");
  REQUIRE(am.ok());
  auto o = options(am);
  o.resend = std::chrono::seconds(0);
  AlertmanagerSink sink(o);
  Event scan = brute_force("198.51.100.4");
  scan.set("rule.name", "Port scan");
  const std::vector<Notice> batch{notice(NoticeKind::Firing, 0, brute_force("203.0.113.7")),
                                  notice(NoticeKind::Firing, 0, scan)};
  REQUIRE(sink.deliver(batch).ok());
  auto posted = am.posted();
  REQUIRE(posted.size() == 1);
  // Both fire (one does not end the other), with an endsAt in the future and no link.
  CHECK(posted[0].body.find("Port scan") != std::string::npos);
  CHECK(posted[0].body.find("SSH brute force") != std::string::npos);
  CHECK(posted[0].body.find("\"state\":\"resolved\"") == std::string::npos);
  CHECK(*parse_rfc3339(field(posted[0].body, "endsAt")) > now() + std::chrono::seconds(200));
  CHECK(field(posted[0].body, "alert_url").empty());
  CHECK(sink.active() == 0);
  sink.idle(now());
  CHECK(am.posted().size() == 1);  // nothing re-sent
}
