#include "sensors/log/syslog_header.h"

#include <doctest/doctest.h>

#include <string>

using namespace soc;
using namespace soc::sensors::log;

namespace {

TimeContext at(const char* reference) {
  TimeContext ctx;
  ctx.reference = *parse_rfc3339(reference);
  return ctx;
}

std::string iso(const std::optional<Timestamp>& t) { return t ? format_rfc3339(*t) : std::string("none"); }

}  // namespace

TEST_CASE("an RFC 3164 line gives host, program, pid and message") {
  SyslogHeader h;
  REQUIRE(parse_syslog("Feb 25 14:34:10 belka sshd[31602]: Failed password for root", at("2026-11-27T00:00:00Z"), h));
  CHECK(h.hostname == "belka");
  CHECK(h.program == "sshd");
  CHECK(h.pid == 31602);
  CHECK(h.message == "Failed password for root");
  CHECK(h.priority == -1);
  CHECK(iso(h.timestamp) == "2026-02-25T14:34:10.000000Z");
}

TEST_CASE("the year of an RFC 3164 date is the latest that is not in the future") {
  SyslogHeader h;
  // Read on 2 January: a 31 December line is from last year.
  REQUIRE(parse_syslog("Dec 31 23:59:59 h p: m", at("2027-01-02T00:00:00Z"), h));
  CHECK(iso(h.timestamp) == "2026-12-31T23:59:59.000000Z");
  // A date up to a day ahead (clock skew, zones) stays in this year.
  REQUIRE(parse_syslog("Jan  2 12:00:00 h p: m", at("2027-01-02T00:00:00Z"), h));
  CHECK(iso(h.timestamp) == "2027-01-02T12:00:00.000000Z");
  // Feb 29 goes to the last leap year.
  REQUIRE(parse_syslog("Feb 29 10:00:00 h p: m", at("2027-03-01T00:00:00Z"), h));
  CHECK(iso(h.timestamp) == "2024-02-29T10:00:00.000000Z");
}

TEST_CASE("the configured zone applies to zone-less timestamps") {
  TimeContext ctx = at("2026-11-27T00:00:00Z");
  REQUIRE(parse_timezone("+07:00", ctx));
  SyslogHeader h;
  REQUIRE(parse_syslog("Jun  8 14:34:33 sd kernel: x", ctx, h));
  CHECK(iso(h.timestamp) == "2026-06-08T07:34:33.000000Z");
  CHECK(parse_timezone("-0530", ctx));
  CHECK(ctx.utc_offset_seconds == -(5 * 3600 + 30 * 60));
  CHECK_FALSE(parse_timezone("Asia/Ho_Chi_Minh", ctx));
  CHECK_FALSE(parse_timezone("+25:00", ctx));
}

TEST_CASE("tags without a host, in brackets, and without a colon are recognised") {
  SyslogHeader h;
  const auto ctx = at("2026-11-27T00:00:00Z");
  REQUIRE(parse_syslog("Nov 23 21:50:19 sshd[8148]: Disconnecting", ctx, h));
  CHECK(h.hostname.empty());
  CHECK(h.program == "sshd");
  CHECK(h.pid == 8148);
  REQUIRE(parse_syslog("Mar  3 00:17:22 [sshd]: User root", ctx, h));
  CHECK(h.program == "sshd");
  CHECK(h.message == "User root");
  REQUIRE(parse_syslog("Jan 10 00:00:00 myhost proftpd[12345] myhost.example (a[1.2.3.4]): USER x", ctx, h));
  CHECK(h.hostname == "myhost");
  CHECK(h.program == "proftpd");
  CHECK(h.message == "myhost.example (a[1.2.3.4]): USER x");
  REQUIRE(parse_syslog("Feb 15 16:23:40 srv httpd/backend1[22034]: [authz_core:error] x", ctx, h));
  CHECK(h.program == "httpd/backend1");
}

TEST_CASE("the Solaris message id is removed from the message") {
  SyslogHeader h;
  REQUIRE(parse_syslog("Mar 29 05:59:23 dusky sshd[20878]: [ID 800047 auth.info] Failed keyboard-interactive",
                       at("2026-11-27T00:00:00Z"), h));
  CHECK(h.message == "Failed keyboard-interactive");
}

TEST_CASE("an RFC 3339 timestamp replaces the BSD date") {
  SyslogHeader h;
  REQUIRE(parse_syslog("2015-04-16T18:02:50.321974+00:00 host sshd[2716]: pam", at("2026-11-27T00:00:00Z"), h));
  CHECK(iso(h.timestamp) == "2015-04-16T18:02:50.321974Z");
  CHECK(h.hostname == "host");
}

TEST_CASE("RFC 5424 with structured data and PRI") {
  SyslogHeader h;
  REQUIRE(parse_syslog(R"(<38>1 2019-07-08T17:40:17.954167-04:00 hostname.example.com sshd 55555 - [timeQuality tzKnown="1"][x@1 t="[b\]"] Failed unknown)",
                       at("2026-11-27T00:00:00Z"), h));
  CHECK(h.rfc5424);
  CHECK(h.priority == 38);
  CHECK(facility_name(h.priority) == "auth");
  CHECK(severity_name(h.priority) == "informational");
  CHECK(h.hostname == "hostname.example.com");
  CHECK(h.program == "sshd");
  CHECK(h.pid == 55555);
  CHECK(h.message == "Failed unknown");
  CHECK(iso(h.timestamp) == "2019-07-08T21:40:17.954167Z");
}

TEST_CASE("lines that are not syslog are refused, not guessed at") {
  SyslogHeader h;
  const auto ctx = at("2026-11-27T00:00:00Z");
  CHECK_FALSE(parse_syslog("83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1", ctx, h));
  CHECK_FALSE(parse_syslog("2012/04/09 11:53:29 [error] 2865#0: *66647 user", ctx, h));
  CHECK_FALSE(parse_syslog("[Sat Jun 01 02:17:42 2013] [error] [client 1.2.3.4] x", ctx, h));
  CHECK_FALSE(parse_syslog("<999>Jun  8 14:34:33 h p: m", ctx, h));
  CHECK_FALSE(parse_syslog("Jun 32 14:34:33 h p: m", ctx, h));
  CHECK_FALSE(parse_syslog("", ctx, h));
}

TEST_CASE("the named timestamp formats of access and error logs") {
  const auto ctx = at("2026-11-27T00:00:00Z");
  CHECK(iso(parse_time(TimeFormat::Clf, "10/Oct/2000:13:55:36 -0700", ctx)) == "2000-10-10T20:55:36.000000Z");
  CHECK(iso(parse_time(TimeFormat::YmdSlash, "2014/04/16 22:00:45", ctx)) == "2014-04-16T22:00:45.000000Z");
  CHECK(iso(parse_time(TimeFormat::Ctime, "Sat Jun 01 02:17:42 2013", ctx)) == "2013-06-01T02:17:42.000000Z");
  CHECK(iso(parse_time(TimeFormat::Ctime, "Sun Sep 14 21:44:43.008606 2014", ctx)) == "2014-09-14T21:44:43.008606Z");
  CHECK(iso(parse_time(TimeFormat::Ctime, "Thu Sep  8 00:39:49 2016", ctx)) == "2016-09-08T00:39:49.000000Z");
  CHECK_FALSE(parse_time(TimeFormat::Clf, "10/Foo/2000:13:55:36 -0700", ctx));
}

TEST_CASE("epoch timestamps in seconds with a fraction, or by the number of digits") {
  const auto ctx = at("2026-11-27T00:00:00Z");
  CHECK(iso(parse_time(TimeFormat::Epoch, "1364481363.243", ctx)) == "2013-03-28T14:36:03.243000Z");
  CHECK(iso(parse_time(TimeFormat::Epoch, "1557513467", ctx)) == "2019-05-10T18:37:47.000000Z");
  CHECK(iso(parse_time(TimeFormat::Epoch, "1557513467369", ctx)) == "2019-05-10T18:37:47.369000Z");
  CHECK(iso(parse_time(TimeFormat::Epoch, "1557513467369913239", ctx)) == "2019-05-10T18:37:47.369913Z");
  CHECK_FALSE(parse_time(TimeFormat::Epoch, "x", ctx));
}

TEST_CASE("a date and a time separated by a space, with milliseconds after a comma") {
  SyslogHeader h;
  REQUIRE(parse_syslog("2013-11-16 21:59:30,121 novo proftpd[25891] localhost (andy[1.2.3.4]): USER x",
                       at("2026-11-27T00:00:00Z"), h));
  CHECK(iso(h.timestamp) == "2013-11-16T21:59:30.121000Z");
  CHECK(h.hostname == "novo");
  CHECK(h.program == "proftpd");
}

TEST_CASE("a time outside the years 0001-9999 is no time (an event could not carry it)") {
  // Found by fuzz-regress-log_decoder: fail2ban's test log dates a line 0000-12-30, and the
  // event's @timestamp "0000-12-30T..." was refused by the correlator's decoder.
  TimeContext ctx = at("2026-11-27T00:00:00Z");
  CHECK(iso(parse_time(TimeFormat::Rfc3339, "0000-12-30 00:00:00", ctx)) == "none");
  CHECK(iso(parse_time(TimeFormat::YmdSlash, "0000/01/01 00:00:00", ctx)) == "none");
  SyslogHeader h;
  CHECK_FALSE(parse_syslog("0000-12-30 00:00:00 server test-demo[47831]: F2B: failure", ctx, h));
  // The zone must not push the first representable second out of range either.
  REQUIRE(parse_timezone("+07:00", ctx));
  CHECK(iso(parse_time(TimeFormat::YmdSlash, "0001/01/01 00:00:00", ctx)) == "none");
  CHECK(iso(parse_time(TimeFormat::YmdSlash, "0001/01/01 07:00:00", ctx)) == "0001-01-01T00:00:00.000000Z");
  CHECK(iso(parse_time(TimeFormat::YmdSlash, "9999/12/31 23:59:59", ctx)) == "9999-12-31T16:59:59.000000Z");
}

TEST_CASE("an RFC 5424 PROCID that is not a pid of at most 12 digits gives no pid") {
  // Found by fuzz-syslog_header under UBSan: a 20-character PROCID overflowed the pid.
  SyslogHeader h;
  const auto ctx = at("2026-11-27T00:00:00Z");
  REQUIRE(parse_syslog("<38>1 2019-07-08T17:40:17Z host sshd 99999999999999999999 - - m", ctx, h));
  CHECK(h.pid == -1);
  REQUIRE(parse_syslog("<38>1 2019-07-08T17:40:17Z host sshd 5540:17.954167-04:00 - - m", ctx, h));
  CHECK(h.pid == -1);
  REQUIRE(parse_syslog("<38>1 2019-07-08T17:40:17Z host sshd 999999999999 - - m", ctx, h));
  CHECK(h.pid == 999999999999);
}

TEST_CASE("the journal's shapes without a syslog date give host, program, pid and message") {
  const TimeContext ctx = at("2026-11-27T00:00:00Z");
  SyslogHeader h;
  REQUIRE(parse_journal_short("jump sshd[42]: Failed password for root from 192.0.2.1", ctx, h));
  CHECK(h.hostname == "jump");
  CHECK(h.program == "sshd");
  CHECK(h.pid == 42);
  CHECK(h.message == "Failed password for root from 192.0.2.1");
  CHECK(!h.timestamp);
  REQUIRE(parse_journal_short("sshd[43]: Invalid user admin from 192.0.2.2", ctx, h));
  CHECK(h.hostname.empty());
  CHECK(h.pid == 43);
  REQUIRE(parse_journal_short("[ 8721.004512] jump sshd[44]: Connection closed", ctx, h));
  CHECK(h.hostname == "jump");
  CHECK(!h.timestamp);
  REQUIRE(parse_journal_short("1763625600.250000 jump sshd[45]: Connection closed", ctx, h));
  CHECK(iso(h.timestamp) == "2025-11-20T08:00:00.250000Z");
  REQUIRE(parse_journal_short("Thu 2026-11-20 08:00:00 UTC jump sshd[46]: Connection closed", ctx, h));
  CHECK(iso(h.timestamp) == "2026-11-20T08:00:00.000000Z");
  CHECK(h.program == "sshd");
}

TEST_CASE("a line that only looks like a program is not taken for the journal's shape") {
  const TimeContext ctx = at("2026-11-27T00:00:00Z");
  SyslogHeader h;
  CHECK_FALSE(parse_journal_short("Warning: the disk is full", ctx, h));
  CHECK_FALSE(parse_journal_short("host prog: message without a pid", ctx, h));
  CHECK_FALSE(parse_journal_short("192.0.2.1 - - [20/Nov/2026:08:00:00 +0000] \"GET / HTTP/1.1\" 200 1", ctx, h));
  CHECK_FALSE(parse_journal_short("two words prog[1]: message", ctx, h));
  CHECK_FALSE(parse_journal_short("", ctx, h));
}

TEST_CASE("an RFC 3339 date with a colon-less offset (journalctl -o short-iso, systemd < 249) is read") {
  SyslogHeader h;
  REQUIRE(parse_syslog("2026-11-20T08:00:00+0700 jump sshd[47]: Connection closed", at("2026-11-27T00:00:00Z"), h));
  CHECK(iso(h.timestamp) == "2026-11-20T01:00:00.000000Z");
  CHECK(h.program == "sshd");
}
