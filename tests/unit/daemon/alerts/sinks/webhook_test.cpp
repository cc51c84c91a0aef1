#include "daemon/alerts/sinks/webhook.h"

#include <doctest/doctest.h>

#include "core/crypto/digest.h"
#include "core/json_codec.h"
#include "daemon/alerts/sinks/notice_json.h"
#include "tests/unit/daemon/alerts/sinks/recorder.h"

using namespace soc;
using namespace soc::daemon::alerts;
using namespace soc::daemon::alerts::sinks;

namespace {

Notice notice(int64_t id) {
  Event a;
  a.set("@timestamp", now());
  a.set("rule.id", "r1");
  a.set("rule.name", "SSH login after brute force");
  a.set("event.severity", int64_t{5});
  a.set("site.id", "dc-hatinh");
  a.set("user.name", "admin");
  return firing_notice(a, id);
}

// The sink's options for one URL; the tests set what else they need.
WebhookOptions posting_to(std::string url) {
  WebhookOptions o;
  o.url = std::move(url);
  return o;
}

}  // namespace

TEST_CASE("each notice is posted as JSON, signed with HMAC-SHA256 of the exact body") {
  test::Recorder hook("/hook");
  REQUIRE(hook.ok());
  WebhookOptions options = posting_to(hook.url() + "/hook");
  options.secret = "s3cret";
  options.external_url = "http://soc.example:9750";
  WebhookSink sink(options);
  CHECK(sink.max_batch() == 1);
  const Notice n = notice(9);
  REQUIRE(sink.deliver({&n, 1}).ok());
  const auto posted = hook.posted();
  REQUIRE(posted.size() == 1);
  CHECK(posted[0].body == webhook_body(n, "http://soc.example:9750"));
  CHECK(posted[0].signature == "sha256=" + crypto::hmac_sha256_hex("s3cret", posted[0].body));
  auto body = decode_event(posted[0].body);
  REQUIRE(body.ok());
  CHECK(body->get_int("version") == 1);
  CHECK(body->get_string("notice") == "firing");
  CHECK(body->get_int("alert.id") == 9);
  CHECK(body->get_string("alert.url") == "http://soc.example:9750/api/v1/alerts/9");
  CHECK(body->get_string("alert.severity.word") == "critical");
  CHECK(body->get_string("alert.summary") == "SSH login after brute force: user.name=admin at dc-hatinh");
  CHECK(body->get_string("alert.event.user.name") == "admin");
}

TEST_CASE("without a secret the body is not signed; restated notices are not posted") {
  test::Recorder hook("/hook");
  REQUIRE(hook.ok());
  WebhookSink sink(posting_to(hook.url() + "/hook"));
  Notice n = notice(1);
  REQUIRE(sink.deliver({&n, 1}).ok());
  n.restated = true;
  REQUIRE(sink.deliver({&n, 1}).ok());
  const auto posted = hook.posted();
  REQUIRE(posted.size() == 1);
  CHECK(posted[0].signature.empty());
}

TEST_CASE("server errors and throttling are retried, other refusals are not") {
  test::Recorder hook("/hook");
  REQUIRE(hook.ok());
  WebhookOptions options = posting_to(hook.url() + "/hook");
  options.timeout = std::chrono::milliseconds(3000);
  WebhookSink sink(options);
  const Notice n = notice(1);
  for (int status : {500, 503, 429, 408}) {
    hook.answer({status});
    auto r = sink.deliver({&n, 1});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "http");
  }
  for (int status : {400, 404, 401}) {
    hook.answer({status});
    auto r = sink.deliver({&n, 1});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == kRejected);
  }
  CHECK(hook.posted().empty());
}
