#include "daemon/alerts/api.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "core/http/client.h"
#include "core/json_tree.h"
#include "daemon/alerts/store.h"
#include "tests/unit/test_support.h"

namespace soc::daemon::alerts {
namespace {

Timestamp at(int64_t s) { return Timestamp(std::chrono::seconds(1'800'000'000 + s)); }

constexpr const char* kToken = "s3cret-token";

struct ApiFixture {
  test::TempDir dir;
  telemetry::Registry metrics;
  std::unique_ptr<AlertStore> store;
  http::Server server;
  std::shared_ptr<const RuleCatalog> catalog;
  RuleInfo rule;
  int64_t first_id = 0;

  explicit ApiFixture(std::string token = kToken, bool with_store = true) {
    rule.id = "6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a03";
    rule.name = "SSH brute force from one address";
    rule.description = "10 or more failed SSH logins from one source address within one minute.";
    rule.severity = 4;
    rule.techniques = {"T1110.001", "T9999"};
    rule.file = "rules/linux/ssh_bruteforce.yml";
    rule.group_fields = {"source.ip"};
    rule.quiet = std::chrono::minutes(10);
    catalog = std::make_shared<const RuleCatalog>(std::vector<RuleInfo>{rule});
    if (with_store) {
      auto s = AlertStore::open((dir.path() / "alerts.db").string(), metrics);
      REQUIRE(s.ok());
      store = std::move(*s);
      for (int i = 0; i < 3; ++i) {
        Event e;
        e.set("@timestamp", at(i));
        e.set("event.kind", "alert");
        e.set("rule.id", rule.id);
        e.set("rule.name", rule.name);
        e.set("event.severity", int64_t{4});
        e.set("threat.technique.id", List{Value("T1110.001")});
        e.set("site.id", "xa-thach-ha");
        e.set("source.ip", "203.0.113." + std::to_string(i));
        e.set("user.name", "root");
        REQUIRE(store->record(e, rule, {}).ok());
      }
      REQUIRE(store->commit().ok());
      first_id = store->list({})->alerts.back().id;
    }
    ApiOptions o;
    o.store = store.get();
    o.token = std::move(token);
    o.version = "0.1.0";
    o.started_at = at(-60);
    o.utc_offset = std::chrono::minutes(7 * 60);
    o.catalog = [this] { return catalog; };
    o.status = [] { return ApiStatus{true, false, false, 1234}; };
    register_api(server, o);
    http::ServerOptions so;
    so.address = "127.0.0.1:0";
    so.threads = 2;
    REQUIRE(server.start(so).ok());
  }

  soc::http::Response call(std::string method, std::string path, std::string body = "",
                           std::vector<std::string> headers = {}) {
    soc::http::Request r;
    r.method = std::move(method);
    r.url = "http://127.0.0.1:" + std::to_string(server.port()) + path;
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.timeout = std::chrono::seconds(10);
    auto resp = soc::http::request(r);
    REQUIRE(resp.ok());
    return *resp;
  }
  json::Node json(const soc::http::Response& r) {
    auto j = json::parse(r.body);
    REQUIRE_MESSAGE(j.ok(), r.body);
    return *j;
  }
  soc::http::Response ack(int64_t id, std::string body, std::string token = kToken) {
    std::vector<std::string> h = {"Content-Type: application/json"};
    if (!token.empty()) h.push_back("Authorization: Bearer " + token);
    return call("POST", "/api/v1/alerts/" + std::to_string(id) + "/ack", std::move(body), h);
  }
  std::string error_code(const soc::http::Response& r) { return json(r).at({"error", "code"})->as_string(); }
  std::string error_message(const soc::http::Response& r) { return json(r).at({"error", "message"})->as_string(); }
};

TEST_CASE("GET /api/v1/status says what runs and how many alerts are open") {
  ApiFixture f;
  auto r = f.call("GET", "/api/v1/status");
  CHECK(r.status == 200);
  CHECK(r.body ==
        R"({"version":"0.1.0","started_at":"2027-01-15T07:59:00.000000Z","time_zone":"+07:00","events_accepted":1234,)"
        R"("alerts":{"open":3,"acknowledged":0},"parts":{"rules":true,"inventory":false,"baseline":false,"alert_store":true}})");
}

TEST_CASE("GET /api/v1/alerts lists alerts newest first with rule names, MITRE names and counts") {
  ApiFixture f;
  auto r = f.call("GET", "/api/v1/alerts?limit=2");
  REQUIRE(r.status == 200);
  const json::Node doc = f.json(r);
  const auto& alerts = doc.find("alerts")->items();
  REQUIRE(alerts.size() == 2);
  const json::Node& a = alerts[0];
  CHECK(a.find("id")->as_int() == f.first_id + 2);
  CHECK(a.at({"rule", "name"})->as_string() == "SSH brute force from one address");
  CHECK(a.at({"rule", "description"})->as_string().find("10 or more") == 0);
  CHECK(a.at({"rule", "mitre"})->dump() == R"([{"id":"T1110.001","name":"Password Guessing"}])");
  CHECK(a.find("severity")->dump() == R"({"number":4,"word":"high"})");
  CHECK(a.find("state")->as_string() == "open");
  CHECK(a.find("site")->dump() == R"({"id":"xa-thach-ha","name":null})");
  CHECK(a.find("group")->dump() == R"({"source.ip":"203.0.113.2"})");
  CHECK(a.find("fields")->dump() == R"({"source.ip":"203.0.113.2","user.name":"root"})");
  CHECK(a.find("count")->as_int() == 1);
  CHECK(a.find("first_seen")->as_string() == "2027-01-15T08:00:02.000000Z");
  CHECK(a.find("acknowledged")->is_null());
  CHECK(a.find("resolved_at")->is_null());
  CHECK(doc.find("counts")->dump() ==
        R"({"open":{"critical":0,"high":3,"medium":0,"low":0,"informational":0},)"
        R"("acknowledged":{"critical":0,"high":0,"medium":0,"low":0,"informational":0}})");
  // The next page holds the rest, and then there is none.
  const std::string next = doc.find("next")->as_string();
  auto r2 = f.json(f.call("GET", "/api/v1/alerts?limit=2&cursor=" + next));
  REQUIRE(r2.find("alerts")->items().size() == 1);
  CHECK(r2.find("alerts")->items()[0].find("id")->as_int() == f.first_id);
  CHECK(r2.find("next")->is_null());

  // Filters.
  CHECK(f.json(f.call("GET", "/api/v1/alerts?severity=high,critical")).find("alerts")->items().size() == 3);
  CHECK(f.json(f.call("GET", "/api/v1/alerts?severity=2")).find("alerts")->items().empty());
  CHECK(f.json(f.call("GET", "/api/v1/alerts?state=acknowledged")).find("alerts")->items().empty());
  CHECK(f.json(f.call("GET", "/api/v1/alerts?site=xa-thach-ha&rule=SSH+brute+force+from+one+address"))
            .find("alerts")
            ->items()
            .size() == 3);
  CHECK(f.json(f.call("GET", "/api/v1/alerts?source.ip=203.0.113.1")).find("alerts")->items().size() == 1);
  CHECK(f.json(f.call("GET", "/api/v1/alerts?since=2027-01-15T08:00:01Z&until=2027-01-15T15:00:01%2B07:00"))
            .find("alerts")
            ->items()
            .size() == 1);
}

TEST_CASE("bad filters get 400 with the parameter named") {
  ApiFixture f;
  const std::pair<const char*, const char*> cases[] = {
      {"state=closed", "state: 'closed' is not open, acknowledged or resolved"},
      {"severity=urgent", "severity: 'urgent' is not informational, low, medium, high, critical or 1-5"},
      {"since=yesterday", "since: 'yesterday' is not an RFC 3339 time (2026-12-04T10:15:00Z)"},
      {"limit=0", "limit: '0' is not a number from 1 to 1000"},
      {"limit=5000", "limit: '5000' is not a number from 1 to 1000"},
      {"limit=ten", "limit: 'ten' is not a number from 1 to 1000"},
      {"cursor=abc", "cursor: not a cursor this API gave (use the 'next' of the previous page)"},
      {"site=", "site: give 1 to 256 characters"},
      {"colour=red", "unknown parameter 'colour' (known: state, site, severity, rule, source.ip, since, until, limit, cursor)"},
  };
  for (const auto& c : cases) {
    // Not a structured binding: doctest's CAPTURE is a lambda, and clang 14 cannot capture one.
    const auto& query = c.first;
    const auto& message = c.second;
    CAPTURE(query);
    auto r = f.call("GET", std::string("/api/v1/alerts?") + query);
    CHECK(r.status == 400);
    CHECK(f.error_code(r) == "bad_request");
    CHECK(f.error_message(r) == message);
  }
}

TEST_CASE("GET /api/v1/alerts/ID gives evidence and history; bad ids are refused clearly") {
  ApiFixture f;
  auto r = f.call("GET", "/api/v1/alerts/" + std::to_string(f.first_id));
  REQUIRE(r.status == 200);
  const json::Node d = f.json(r);
  CHECK(d.find("id")->as_int() == f.first_id);
  CHECK(d.find("evidence")->items().empty());
  const auto& history = d.find("history")->items();
  REQUIRE(history.size() == 1);
  CHECK(history[0].find("action")->as_string() == "opened");
  CHECK(history[0].find("by")->is_null());

  auto missing = f.call("GET", "/api/v1/alerts/99999");
  CHECK(missing.status == 404);
  CHECK(f.error_message(missing) == "no alert 99999");
  auto bad = f.call("GET", "/api/v1/alerts/abc");
  CHECK(bad.status == 400);
  CHECK(f.error_message(bad) == "alert id: 'abc' is not a positive integer");
  CHECK(f.call("GET", "/api/v1/alerts/-4").status == 400);
  CHECK(f.call("GET", "/api/v1/alerts/1/ack").status == 405);
  CHECK(f.call("GET", "/api/v1/alerts/1/other").status == 404);
  CHECK(f.call("DELETE", "/api/v1/alerts/1").status == 405);
}

TEST_CASE("acknowledging needs the token and a well-formed body; refusals change nothing") {
  ApiFixture f;
  const int64_t id = f.first_id;
  struct Case {
    std::string body, token;
    int status;
    std::string code, message;
  };
  const std::string big(5000, 'x');
  const Case cases[] = {
      {R"({"by":"lan","comment":"x"})", "", 401, "unauthorized", "this write needs 'Authorization: Bearer TOKEN'"},
      {R"({"by":"lan","comment":"x"})", "wrong", 401, "unauthorized", "the bearer token is not the correlator's --api-token"},
      {"", kToken, 400, "bad_request", "the body must be a JSON object {\"by\": NAME, \"comment\": TEXT}"},
      {"{\"by\":", kToken, 400, "bad_request", "the body is not JSON: 1:7: the text ends where a value is expected"},
      {R"(["lan"])", kToken, 400, "bad_request", "the body must be a JSON object {\"by\": NAME, \"comment\": TEXT}"},
      {R"({"comment":"x"})", kToken, 400, "bad_request", "by: missing (who acknowledges, 1 to 64 characters)"},
      {R"({"by":7,"comment":"x"})", kToken, 400, "bad_request", "by: must be a string"},
      {R"({"by":"","comment":"x"})", kToken, 400, "bad_request", "by: give 1 to 64 characters"},
      {"{\"by\":\"" + std::string(65, 'a') + "\",\"comment\":\"\"}", kToken, 400, "bad_request", "by: give 1 to 64 characters"},
      {R"({"by":"l\nan","comment":""})", kToken, 400, "bad_request", "by: control characters are not allowed"},
      {R"({"by":"lan"})", kToken, 400, "bad_request", "comment: missing (what was done, at most 4096 characters; may be empty)"},
      {R"({"by":"lan","comment":["x"]})", kToken, 400, "bad_request", "comment: must be a string"},
      {"{\"by\":\"lan\",\"comment\":\"" + big + "\"}", kToken, 400, "bad_request", "comment: at most 4096 characters"},
      {R"({"by":"lan","comment":"x","state":"resolved"})", kToken, 400, "bad_request",
       "unknown member \"state\" (an acknowledgement has by and comment)"},
      {R"({"by":"lan","by":"minh","comment":""})", kToken, 400, "bad_request",
       "the body is not JSON: 1:13: member \"by\" written twice"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body.substr(0, 80));
    auto r = f.ack(id, c.body, c.token);
    CHECK(r.status == c.status);
    CHECK(f.error_code(r) == c.code);
    CHECK(f.error_message(r) == c.message);
  }
  // A body over the listener's 1 MiB is refused before it is read.
  auto huge = f.ack(id, "{\"by\":\"lan\",\"comment\":\"" + std::string(2 << 20, 'x') + "\"}");
  CHECK(huge.status == 413);
  auto unknown = f.ack(999999, R"({"by":"lan","comment":""})");
  CHECK(unknown.status == 404);
  CHECK(f.error_message(unknown) == "no alert 999999");
  CHECK(f.ack(0, R"({"by":"lan","comment":""})").status == 400);
  CHECK(f.call("POST", "/api/v1/alerts/" + std::to_string(id), "{}").status == 405);

  // Nothing changed.
  auto d = f.json(f.call("GET", "/api/v1/alerts/" + std::to_string(id)));
  CHECK(d.find("state")->as_string() == "open");
  CHECK(d.find("history")->items().size() == 1);

  auto ok = f.ack(id, R"({"by":"Lan Nguyễn","comment":"blocked at the firewall"})");
  REQUIRE(ok.status == 200);
  const json::Node a = f.json(ok);
  CHECK(a.find("state")->as_string() == "acknowledged");
  CHECK(a.at({"acknowledged", "by"})->as_string() == "Lan Nguyễn");
  CHECK(a.at({"acknowledged", "comment"})->as_string() == "blocked at the firewall");
  d = f.json(f.call("GET", "/api/v1/alerts/" + std::to_string(id)));
  CHECK(d.find("history")->items().size() == 2);
  CHECK(d.find("history")->items()[1].find("by")->as_string() == "Lan Nguyễn");
  CHECK(f.json(f.call("GET", "/api/v1/status")).at({"alerts", "acknowledged"})->as_int() == 1);
}

TEST_CASE("without --api-token writes answer 403; without a store the alert routes answer 503") {
  ApiFixture no_token("");
  auto r = no_token.ack(no_token.first_id, R"({"by":"lan","comment":""})", kToken);
  CHECK(r.status == 403);
  CHECK(no_token.error_code(r) == "writes_disabled");

  ApiFixture no_store(kToken, false);
  auto l = no_store.call("GET", "/api/v1/alerts");
  CHECK(l.status == 503);
  CHECK(no_store.error_code(l) == "unavailable");
  CHECK(no_store.json(no_store.call("GET", "/api/v1/status")).at({"parts", "alert_store"})->as_bool() == false);
}

TEST_CASE("GET /api/v1/rules names the rules, their severity and MITRE techniques") {
  ApiFixture f;
  auto r = f.call("GET", "/api/v1/rules");
  REQUIRE(r.status == 200);
  CHECK(r.body ==
        R"({"rules":[{"id":"6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a03","name":"SSH brute force from one address",)"
        R"("description":"10 or more failed SSH logins from one source address within one minute.",)"
        R"("severity":{"number":4,"word":"high"},"mitre":[{"id":"T1110.001","name":"Password Guessing"},)"
        R"({"id":"T9999","name":null}],"file":"rules/linux/ssh_bruteforce.yml"}]})");
}

TEST_CASE("the API token file must exist, hold a token and be private") {
  test::TempDir dir;
  auto path = dir.write("token", "  s3cret \n");
  ::chmod(path.c_str(), 0600);
  auto t = read_api_token(path);
  REQUIRE(t.ok());
  CHECK(*t == "s3cret");
  ::chmod(path.c_str(), 0644);
  auto open = read_api_token(path);
  REQUIRE_FALSE(open.ok());
  CHECK(open.error().code == "config");
  CHECK(open.error().message.rfind("--api-token: " + path + " can be read by other users (mode 0644)", 0) == 0);
  CHECK(open.error().message.find("run: chmod 600 " + path) != std::string::npos);
  auto empty = dir.write("empty", "\n");
  ::chmod(empty.c_str(), 0600);
  CHECK(read_api_token(empty).error().message == "--api-token: " + empty + " is empty");
  CHECK(read_api_token((dir.path() / "none").string()).error().message ==
        "--api-token: cannot read " + (dir.path() / "none").string() + ": No such file or directory");
  auto spaced = dir.write("spaced", "two words");
  ::chmod(spaced.c_str(), 0600);
  CHECK(read_api_token(spaced).error().message ==
        "--api-token " + spaced + ": the token must be one word of printable ASCII (it goes in an HTTP header)");
}

}  // namespace
}  // namespace soc::daemon::alerts
