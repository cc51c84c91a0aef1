#include "sensors/log/decoder.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/json_codec.h"

using namespace soc;
using namespace soc::sensors::log;

namespace {

const DecoderSet& builtin() {
  static const DecoderSet set = [] {
    DecoderSet s;
    std::vector<Diagnostic> diags;
    bool ok = s.load_directory(std::string(SOC_SOURCE_ROOT) + "/sensors/log/decoders", diags);
    REQUIRE_MESSAGE(ok, render_all(diags));
    return s;
  }();
  return set;
}

DecodeOptions options(std::string format = "auto") {
  DecodeOptions o;
  o.format = std::move(format);
  o.time.reference = *parse_rfc3339("2026-11-27T00:00:00Z");
  return o;
}

Event decode(std::string_view line, std::string format = "auto") {
  LineDecoder d(builtin(), options(std::move(format)));
  Event e;
  REQUIRE(d.decode(line, false, e));
  return e;
}

std::string text(const Event& e, std::string_view key) {
  const Value* v = e.find(key);
  return v ? v->to_text() : std::string("<absent>");
}

bool auth_failure(const Event& e) {
  const Value* c = e.find("event.category");
  if (!c || !c->is_list()) return false;
  bool auth = false;
  for (const auto& x : c->as_list()) auth = auth || x.to_text() == "authentication";
  return auth && e.get_string("event.outcome") == "failure";
}

std::vector<Diagnostic> load_errors(const std::string& yaml) {
  DecoderSet s;
  std::vector<Diagnostic> diags;
  CHECK_FALSE(s.load_text("d.yaml", yaml, diags));
  CHECK(s.decoders().empty());
  return diags;
}

}  // namespace

TEST_CASE("the built-in decoders load") { CHECK(builtin().decoders().size() >= 10); }

TEST_CASE("loader reports line and column of an unknown key, an unknown field and a bad regex at once") {
  auto d = load_errors(
      "decoders:\n"
      "  - name: x\n"
      "    programs: [x]\n"
      "    fields: {u: user.nmae}\n"
      "    colour: red\n"
      "    rules:\n"
      "      - match: '(?<u>\\S+'\n");
  REQUIRE(d.size() == 3);
  CHECK(render(d[0]) == "d.yaml:5:5: error[decoder.unknown_key]: unknown key 'colour' (expected one of: name, dataset, "
                        "programs, input, formats, time_format, remember_source, set, fields, prefix, rules, when_field, when_value, paths)");
  CHECK(render(d[1]) == "d.yaml:4:17: error[decoder.unknown_field]: 'user.nmae' is not a documented field (docs/fields.md)");
  CHECK(d[2].code == "regex.syntax");
  CHECK(d[2].line == 7);
  CHECK(d[2].column == 16);
}

TEST_CASE("loader refuses a capture that is not mapped to a field") {
  auto d = load_errors("decoders:\n  - name: x\n    programs: [x]\n    rules:\n      - match: '(?<who>\\S+)'\n");
  REQUIRE(d.size() == 1);
  CHECK(render(d[0]) == "d.yaml:5:16: error[decoder.unmapped_capture]: capture 'who' is not mapped to a field (add it "
                        "to 'fields')");
}

TEST_CASE("loader refuses a syslog decoder without programs and a bad time format") {
  auto d = load_errors("decoders:\n  - name: x\n    time_format: iso\n    rules: [{match: a}]\n");
  REQUIRE(d.size() == 2);
  CHECK(d[0].code == "decoder.missing_key");
  CHECK(render(d[1]) == "d.yaml:3:18: error[decoder.bad_value]: time_format must be bsd, rfc3339, clf, ymd_slash, ctime or epoch");
}

TEST_CASE("a user decoder loaded first takes precedence over the built-in ones") {
  DecoderSet s;
  std::vector<Diagnostic> diags;
  REQUIRE(s.load_text("mine.yaml",
                      "decoders:\n"
                      "  - name: myapp\n"
                      "    dataset: myapp\n"
                      "    programs: [myapp]\n"
                      "    set: {event.category: [authentication]}\n"
                      "    fields: {user: user.name, ip: source.ip}\n"
                      "    rules:\n"
                      "      - match: '^login failed for (?<user>\\S+) from (?<ip>\\S+)$'\n"
                      "        set: {event.outcome: failure, event.action: myapp_login}\n",
                      diags));
  LineDecoder d(s, options());
  Event e;
  REQUIRE(d.decode("Nov 27 10:00:00 web1 myapp[7]: login failed for bob from 198.51.100.9", false, e));
  CHECK(text(e, "event.dataset") == "myapp");
  CHECK(auth_failure(e));
  CHECK(text(e, "source.ip") == "198.51.100.9");
  CHECK(text(e, "user.name") == "bob");
  CHECK(text(e, "host.hostname") == "web1");
  CHECK(text(e, "process.pid") == "7");
}

TEST_CASE("sshd failed password: the ECS fields of the contract") {
  Event e = decode("Feb 25 14:34:10 belka sshd[31602]: Failed password for invalid user ROOT from 194.117.26.69 port 50273 ssh2");
  CHECK(text(e, "@timestamp") == "2026-02-25T14:34:10.000000Z");
  CHECK(text(e, "event.kind") == "event");
  CHECK(text(e, "event.dataset") == "sshd");
  CHECK(auth_failure(e));
  CHECK(text(e, "event.action") == "ssh_login");
  CHECK(text(e, "source.ip") == "194.117.26.69");
  CHECK(text(e, "source.port") == "50273");
  CHECK(text(e, "user.name") == "ROOT");
  CHECK(text(e, "host.hostname") == "belka");
  CHECK(text(e, "process.name") == "sshd");
  CHECK(text(e, "process.pid") == "31602");
  CHECK(e.find("source.ip")->is_ip());
  CHECK_FALSE(missing_required_field(e).has_value());
}

TEST_CASE("sshd: a user name cannot inject the address") {
  Event e = decode("Nov 11 08:04:52 r sshd[2737]: Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2");
  CHECK(text(e, "source.ip") == "127.0.0.1");
}

TEST_CASE("sshd: accepted publickey is a success") {
  Event e = decode("Nov 28 09:16:03 srv sshd[32307]: Accepted publickey for git from 192.0.2.1 port 57904 ssh2: DSA 36:48");
  CHECK(text(e, "event.outcome") == "success");
  CHECK(text(e, "user.name") == "git");
}

TEST_CASE("sshd: the address of a later line comes from the same process") {
  LineDecoder d(builtin(), options());
  Event e;
  REQUIRE(d.decode("Feb 12 04:09:18 h sshd[26713]: Connection from 115.249.163.77 port 51353", false, e));
  CHECK_FALSE(auth_failure(e));
  REQUIRE(d.decode("Feb 12 04:09:21 h sshd[26713]: Disconnecting: Too many authentication failures for root [preauth]", false, e));
  CHECK(auth_failure(e));
  CHECK(text(e, "source.ip") == "115.249.163.77");
  CHECK(text(e, "user.name") == "root");
  // Another process of the same host does not inherit it.
  REQUIRE(d.decode("Feb 12 04:09:21 h sshd[26714]: Disconnecting: Too many authentication failures for root [preauth]", false, e));
  CHECK_FALSE(e.contains("source.ip"));
}

TEST_CASE("PAM failures from any program, the address that PAM wrote") {
  Event e = decode("Jul 19 18:11:52 srv2 daemon: pam_unix(auth): authentication failure; logname= uid=0 euid=0 tty=xxx ruser= rhost=192.0.2.2 user=test rhost=192.0.2.152");
  CHECK(text(e, "event.dataset") == "pam");
  CHECK(auth_failure(e));
  CHECK(text(e, "source.ip") == "192.0.2.2");
  Event h = decode("May 12 09:47:54 vaio sshd[16004]: (pam_unix) authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=71-13-115-12.static.example.com  user=root");
  CHECK(auth_failure(h));
  CHECK(text(h, "source.domain") == "71-13-115-12.static.example.com");
}

TEST_CASE("sudo command and sudo failure") {
  Event e = decode("Nov 27 10:00:00 h sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id");
  CHECK(text(e, "event.dataset") == "sudo");
  CHECK(text(e, "user.name") == "alice");
  CHECK(text(e, "user.target.name") == "root");
  CHECK(text(e, "process.command_line") == "/usr/bin/id");
  Event f = decode("Nov 27 10:00:00 h sudo:    alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/sh");
  CHECK(auth_failure(f));
}

TEST_CASE("dropbear, vsftpd, proftpd, dovecot and postfix SASL failures") {
  CHECK(text(decode("Mar 24 15:25:51 b dropbear[4092]: bad password attempt for 'root' from 198.51.100.87:5543"), "source.ip") == "198.51.100.87");
  CHECK(auth_failure(decode("Mar 24 15:25:51 b dropbear[4092]: bad password attempt for 'root' from 198.51.100.87:5543")));
  Event v = decode("2025-03-04T01:06:36.645577 ip-1 vsftpd[1658]: [username] FAIL LOGIN: Client \"192.0.2.222\"");
  CHECK(auth_failure(v));
  CHECK(text(v, "source.ip") == "192.0.2.222");
  Event p = decode("Jun 09 07:30:58 p proftpd[11864] p.example (mail.example[::ffff:67.227.224.66]): USER bob (Login failed): Incorrect password.");
  CHECK(auth_failure(p));
  CHECK(text(p, "source.ip") == "67.227.224.66");
  Event d = decode("Nov 27 10:00:00 mail dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=203.0.113.5, lip=10.0.0.1, TLS, session=<x>");
  CHECK(auth_failure(d));
  CHECK(text(d, "source.ip") == "203.0.113.5");
  CHECK(text(d, "user.name") == "bob");
  Event s = decode("Nov 27 10:00:00 mail postfix/smtpd[123]: warning: unknown[203.0.113.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6");
  CHECK(auth_failure(s));
  CHECK(text(s, "source.ip") == "203.0.113.7");
}

TEST_CASE("iptables LOG lines") {
  Event e = decode("Jun  8 14:34:33 sd kernel: [50028442.088484] [UFW BLOCK] IN=enp1s0 OUT= MAC=00:08:a2:0c:1f:12 SRC=195.54.160.107 DST=51.15.166.67 LEN=40 TOS=0x00 PREC=0x00 TTL=245 ID=37308 PROTO=TCP SPT=8080 DPT=8123 WINDOW=1024 RES=0x00 SYN URGP=0");
  CHECK(text(e, "event.dataset") == "iptables");
  CHECK(text(e, "source.ip") == "195.54.160.107");
  CHECK(text(e, "destination.ip") == "51.15.166.67");
  CHECK(text(e, "destination.port") == "8123");
  CHECK(text(e, "network.transport") == "tcp");
  CHECK(text(e, "observer.ingress.interface.name") == "enp1s0");
  CHECK(text(e, "event.reason") == "[UFW BLOCK]");
  CHECK(text(e, "event.action") == "deny");
  CHECK(text(e, "event.type") == "connection,denied");
  CHECK(text(e, "event.outcome") == "failure");
}

TEST_CASE("iptables: the log prefix gives the verdict when it names one") {
  auto action = [](std::string prefix) {
    Event e = decode("Nov 20 15:00:32 fw kernel: [873444.360925] " + prefix +
                     "IN=ppp0 OUT= MAC= SRC=203.0.113.199 DST=10.20.0.2 LEN=60 TOS=0x00 PROTO=UDP SPT=33839 DPT=1900 LEN=32");
    CHECK(text(e, "event.dataset") == "iptables");
    CHECK(text(e, "source.ip") == "203.0.113.199");
    CHECK(text(e, "destination.port") == "1900");
    return text(e, "event.action") + " " + text(e, "event.type") + " " + text(e, "event.reason");
  };
  CHECK(action("INPUT-DROP: ") == "drop connection,denied INPUT-DROP:");
  CHECK(action("IPTABLES_DROPPED ") == "drop connection,denied IPTABLES_DROPPED");
  CHECK(action("nft drop in: ") == "drop connection,denied nft drop in:");
  CHECK(action("REJECT ") == "reject connection,denied REJECT");
  CHECK(action("[UFW LIMIT BLOCK] ") == "deny connection,denied [UFW LIMIT BLOCK]");
  CHECK(action("DENIED-IN ") == "deny connection,denied DENIED-IN");
  CHECK(action("[UFW ALLOW] ") == "accept connection,allowed [UFW ALLOW]");
  CHECK(action("FW-ACCEPT: ") == "accept connection,allowed FW-ACCEPT:");
  // No verdict in the prefix: a plain LOG line; words inside other words do not count.
  CHECK(action("[UFW AUDIT] ") == "firewall_log connection [UFW AUDIT]");
  CHECK(action("backdrop-in ") == "firewall_log connection backdrop-in");
  CHECK(action("") == "firewall_log connection <absent>");
  // Only the prefix is read: a packet field after IN= never sets the verdict.
  Event e = decode("Nov 20 15:00:32 fw kernel: fw-in IN=ppp0 OUT= SRC=203.0.113.1 DST=10.20.0.2 LEN=60 PROTO=TCP SPT=1 DPT=2 DROP=1");
  CHECK(text(e, "event.action") == "firewall_log");
}

TEST_CASE("shadow-utils account management and password changes") {
  Event e = decode("Nov 20 15:40:05 srv useradd[1053]: new user: name=backup2, UID=1003, GID=1003, home=/home/backup2, shell=/bin/bash, from=/dev/pts/1");
  CHECK(text(e, "event.dataset") == "shadow-utils");
  CHECK(text(e, "event.category") == "iam");
  CHECK(text(e, "event.type") == "user,creation");
  CHECK(text(e, "event.action") == "user-created");
  CHECK(text(e, "event.outcome") == "success");
  CHECK(text(e, "user.name") == "backup2");
  CHECK(text(e, "user.id") == "1003");
  CHECK(text(e, "group.id") == "1003");
  CHECK(text(e, "process.name") == "useradd");
  e = decode("Nov 20 15:40:05 srv useradd[1053]: new group: name=backup2, GID=1003");
  CHECK(text(e, "event.action") == "group-created");
  CHECK(text(e, "event.type") == "group,creation");
  CHECK(text(e, "group.name") == "backup2");
  CHECK(text(e, "user.name") == "<absent>");
  e = decode("Nov 20 15:40:22 srv usermod[1492]: add 'backup2' to group 'sudo'");
  CHECK(text(e, "event.action") == "added-to-group");
  CHECK(text(e, "event.type") == "group,change");
  CHECK(text(e, "user.name") == "backup2");
  CHECK(text(e, "group.name") == "sudo");
  CHECK(text(e, "event.reason") == "<absent>");
  e = decode("Nov 20 15:40:22 srv usermod[1492]: add 'backup2' to shadow group 'sudo'");
  CHECK(text(e, "event.action") == "added-to-group");
  CHECK(text(e, "group.name") == "sudo");
  CHECK(text(e, "event.reason") == "shadow");
  e = decode("Nov 20 15:44:00 srv gpasswd[1800]: user eve added by root to group wheel");
  CHECK(text(e, "event.action") == "added-to-group");
  CHECK(text(e, "user.name") == "eve");
  CHECK(text(e, "group.name") == "wheel");
  e = decode("Nov 20 15:44:00 srv usermod[1801]: delete 'eve' from group 'wheel'");
  CHECK(text(e, "event.action") == "removed-from-group");
  CHECK(text(e, "group.name") == "wheel");
  e = decode("Nov 20 15:42:00 srv userdel[1600]: delete user 'bob'");
  CHECK(text(e, "event.action") == "user-deleted");
  CHECK(text(e, "event.type") == "user,deletion");
  CHECK(text(e, "user.name") == "bob");
  e = decode("Nov 20 15:42:00 srv groupadd[1601]: group added to /etc/group: name=devs, GID=1004");
  CHECK(text(e, "event.action") == "group-created");
  CHECK(text(e, "group.name") == "devs");
  CHECK(text(e, "group.id") == "1004");
  e = decode("Nov 20 15:45:00 srv usermod[1900]: change user 'eve' UID from '1005' to '0'");
  CHECK(text(e, "event.action") == "user-changed");
  CHECK(text(e, "user.id") == "0");
  e = decode("Nov 20 15:43:00 srv passwd[1700]: pam_unix(passwd:chauthtok): password changed for bob");
  CHECK(text(e, "event.dataset") == "passwd");
  CHECK(text(e, "event.action") == "password-changed");
  CHECK(text(e, "event.type") == "user,change");
  CHECK(text(e, "user.name") == "bob");
  CHECK(text(decode("Nov 20 15:43:00 srv chpasswd[1701]: pam_unix(chpasswd:chauthtok): password changed for eve"), "user.name") == "eve");
  // A refused change is no password change (left to the other decoders).
  e = decode("Nov 20 15:43:09 srv passwd[1702]: pam_unix(passwd:chauthtok): authentication failure; logname=bob uid=1000 euid=0 tty=pts/0 ruser= rhost=  user=bob");
  CHECK(text(e, "event.dataset") != "passwd");
  CHECK(text(e, "event.action") != "password-changed");
  // A line of these programs that no rule knows falls to the generic fallback, as before.
  CHECK(text(decode("Nov 20 15:46:00 srv useradd[1950]: something else entirely"), "event.dataset") == "syslog");
}

TEST_CASE("access logs: combined, with and without --format") {
  const char* line = R"(83.149.9.216 - bob [17/May/2015:10:05:03 +0000] "GET /a/b.png?x=1 HTTP/1.1" 404 203023 "http://r/" "Mozilla/5.0")";
  Event e = decode(line);
  CHECK(text(e, "event.dataset") == "apache.access");
  CHECK(text(e, "@timestamp") == "2015-05-17T10:05:03.000000Z");
  CHECK(text(e, "source.ip") == "83.149.9.216");
  CHECK(text(e, "user.name") == "bob");
  CHECK(text(e, "http.request.method") == "GET");
  CHECK(text(e, "url.original") == "/a/b.png?x=1");
  CHECK(text(e, "url.path") == "/a/b.png");
  CHECK(text(e, "http.response.status_code") == "404");
  CHECK(text(e, "http.response.body.bytes") == "203023");
  CHECK(text(e, "user_agent.original") == "Mozilla/5.0");
  CHECK(text(e, "event.outcome") == "failure");
  CHECK(text(decode(line, "nginx"), "event.dataset") == "nginx.access");
}

TEST_CASE("access logs with --format auto: a file whose path names nginx is nginx.access") {
  const char* line = R"(83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 203 "-" "curl/8")";
  auto dataset = [&](std::string format, std::string path) {
    DecodeOptions o = options(std::move(format));
    o.file_path = std::move(path);
    LineDecoder d(builtin(), o);
    Event e;
    REQUIRE(d.decode(line, false, e));
    return text(e, "event.dataset");
  };
  CHECK(dataset("auto", "/var/log/nginx/access.log") == "nginx.access");
  CHECK(dataset("auto", "/srv/logs/nginx-access.log") == "nginx.access");
  CHECK(dataset("auto", "/var/log/apache2/access.log") == "apache.access");
  CHECK(dataset("auto", "") == "apache.access");
  CHECK(dataset("apache", "/var/log/nginx/access.log") == "apache.access");
  CHECK(dataset("nginx", "/var/log/apache2/access.log") == "nginx.access");

  // One decoder following many files (--file): the path of each line chooses.
  LineDecoder d(builtin(), options());
  Event e;
  d.set_file_path("/var/log/nginx/access.log");
  REQUIRE(d.decode(line, false, e));
  CHECK(text(e, "event.dataset") == "nginx.access");
  CHECK(text(e, "log.file.path") == "/var/log/nginx/access.log");
  d.set_file_path("/var/log/apache2/access.log");
  REQUIRE(d.decode(line, false, e));
  CHECK(text(e, "event.dataset") == "apache.access");
  CHECK(text(e, "log.file.path") == "/var/log/apache2/access.log");
  d.set_file_path({});
  REQUIRE(d.decode(line, false, e));
  CHECK(text(e, "event.dataset") == "apache.access");
  CHECK(text(e, "log.file.path") == "<absent>");
  d.set_file_path("/var/log/nginx/access.log");
  REQUIRE(d.decode(line, false, e));
  CHECK(text(e, "event.dataset") == "nginx.access");
}

TEST_CASE("loader refuses an empty string in paths") {
  auto diags = load_errors("decoders:\n  - name: x\n    input: line\n    paths: ['']\n    rules:\n      - match: a\n");
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].code == "decoder.bad_value");
}

TEST_CASE("web server authentication failures") {
  Event n = decode(R"(2012/04/09 11:53:36 [error] 2865#0: *66647 user "xyz": password mismatch, client: 192.0.43.10, server: www.myhost.com, request: "GET / HTTP/1.1", host: "www.myhost.com")");
  CHECK(text(n, "event.dataset") == "nginx.error");
  CHECK(auth_failure(n));
  CHECK(text(n, "source.ip") == "192.0.43.10");
  CHECK(text(n, "user.name") == "xyz");
  Event a = decode("[Sat Jul 20 21:37:32.266605 2013] [auth_basic:error] [pid 17512:tid 140123079128832] [client 127.0.0.1:51386] AH01618: user bob not found: /basic/file");
  CHECK(text(a, "event.dataset") == "apache.error");
  CHECK(auth_failure(a));
  CHECK(text(a, "source.port") == "51386");
  CHECK(text(a, "user.name") == "bob");
}

TEST_CASE("JSON lines keep their fields and get the required ones") {
  Event e = decode(R"({"timestamp":"2024-05-14T08:00:00Z","source":{"ip":"10.0.0.1"},"msg":"hi"})");
  CHECK(text(e, "@timestamp") == "2024-05-14T08:00:00.000000Z");
  CHECK(text(e, "source.ip") == "10.0.0.1");
  CHECK(text(e, "event.dataset") == "json");
  CHECK(text(e, "msg") == "hi");
  CHECK_FALSE(missing_required_field(e).has_value());
  // Not JSON after all: kept by the fallback.
  Event g = decode("{not json");
  CHECK(text(g, "event.dataset") == "log");
  CHECK(text(g, "message") == "{not json");
}

TEST_CASE("unknown lines keep their message; blank lines and comments carry nothing") {
  LineDecoder d(builtin(), options());
  Event e;
  CHECK_FALSE(d.decode("", false, e));
  CHECK_FALSE(d.decode("   \t", false, e));
  CHECK_FALSE(d.decode("# a comment", false, e));
  REQUIRE(d.decode("Nov 27 10:00:00 h cron[5]: (root) CMD (run-parts)", false, e));
  CHECK(text(e, "event.dataset") == "syslog");
  CHECK(text(e, "message") == "(root) CMD (run-parts)");
  CHECK_FALSE(missing_required_field(e).has_value());
  CHECK(d.stats().skipped == 3);
  CHECK(d.stats().generic == 1);
}

TEST_CASE("NUL bytes, invalid UTF-8 and truncated lines are counted and still give valid JSON") {
  LineDecoder d(builtin(), options());
  Event e;
  const std::string nul("Nov 27 10:00:00 h x: a\0b", 24);
  REQUIRE(d.decode(nul, false, e));
  CHECK(text(e, "tags") == "nul_bytes");
  REQUIRE(d.decode("Nov 27 10:00:00 h x: \xff\xfe bad", true, e));
  CHECK(text(e, "tags") == "truncated");
  const std::string json = encode_event(e);
  CHECK(decode_event(json).ok());
  CHECK(d.stats().nul_bytes == 1);
  CHECK(d.stats().invalid_utf8 == 1);
  CHECK(d.stats().truncated == 1);
}

TEST_CASE("random bytes never crash the decoder and always give a valid event") {
  LineDecoder d(builtin(), options());
  Event e;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  std::string line;
  const std::string seeds[] = {"Nov 27 10:00:00 h sshd[1]: Failed password for ", "<13>1 2024-01-01T00:00:00Z h a 1 - ",
                               "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET ", "{\"a\":", "[Sat Jun 01 02:17:42 2013] [error] [client "};
  for (int i = 0; i < 20000; ++i) {
    line = seeds[i % 5];
    const int n = static_cast<int>(x % 120);
    for (int k = 0; k < n; ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      line.push_back(static_cast<char>(x & 0xff));
    }
    if (d.decode(line, false, e)) {
      REQUIRE_FALSE(missing_required_field(e).has_value());
      REQUIRE(decode_event(encode_event(e)).ok());
    }
  }
}

TEST_CASE("pfSense filterlog, FortiGate, OpenVPN, MySQL and auditd") {
  Event p = decode("Nov 27 10:00:00 pf filterlog[1]: 5,,,1000000103,igb1,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,198.51.100.10,10.0.0.1,51234,443,0,S,1,,64240,,mss");
  CHECK(text(p, "event.dataset") == "pfsense.filterlog");
  CHECK(text(p, "event.action") == "block");
  CHECK(text(p, "destination.port") == "443");
  CHECK(text(p, "network.transport") == "tcp");
  Event f = decode(R"x(date=2019-05-13 time=11:20:54 logid="0100032002" type="event" subtype="system" devname="FG100" logdesc="Admin login failed" user="admin" ui="https(203.0.113.9)" action="login" status="failed" eventtime=1557746454000000000)x");
  CHECK(text(f, "event.dataset") == "fortigate");
  CHECK(auth_failure(f));
  CHECK(text(f, "source.ip") == "203.0.113.9");
  CHECK(text(f, "user.name") == "admin");
  CHECK(text(f, "host.hostname") == "FG100");
  CHECK(text(f, "@timestamp") == "2019-05-13T11:20:54.000000Z");
  Event o = decode("Nov 27 10:00:00 vpn openvpn[99]: 203.0.113.20:51000 TLS Auth Error: Auth Username/Password verification failed for peer");
  CHECK(auth_failure(o));
  CHECK(text(o, "source.ip") == "203.0.113.20");
  Event m = decode("2024-05-01T10:00:00.123456Z 8 [Warning] [MY-010055] [Server] Access denied for user 'app'@'203.0.113.31' (using password: YES)");
  CHECK(text(m, "event.dataset") == "mysql");
  CHECK(auth_failure(m));
  CHECK(text(m, "source.ip") == "203.0.113.31");
  CHECK_FALSE(m.contains("host.hostname"));
  Event a = decode(R"x(type=USER_LOGIN msg=audit(1364481363.243:24287): pid=3214 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.40 terminal=ssh res=failed')x");
  CHECK(text(a, "event.dataset") == "auditd");
  CHECK(auth_failure(a));
  CHECK(text(a, "user.name") == "root");
  CHECK(text(a, "@timestamp") == "2013-03-28T14:36:03.243000Z");
}

TEST_CASE("a JSON field map renames and types the keys of an application's JSON lines") {
  DecoderSet s;
  std::vector<Diagnostic> diags;
  REQUIRE_MESSAGE(s.load_text("json.yaml",
                              "decoders:\n"
                              "  - name: portal\n"
                              "    dataset: portal.access\n"
                              "    input: json\n"
                              "    when_field: app\n"
                              "    when_value: portal\n"
                              "    set: {event.category: [web]}\n"
                              "    fields:\n"
                              "      client.addr: source.ip\n"
                              "      status: http.response.status_code\n"
                              "      ts: '@timestamp'\n"
                              "      verb: http.request.method\n",
                              diags),
                  render_all(diags));
  LineDecoder d(s, options());
  Event e;
  REQUIRE(d.decode(R"({"app":"portal","ts":1557513467,"client":{"addr":"203.0.113.5"},"status":"403","verb":"POST"})", false, e));
  CHECK(text(e, "event.dataset") == "portal.access");
  CHECK(e.find("source.ip")->is_ip());
  CHECK(text(e, "source.ip") == "203.0.113.5");
  CHECK(e.find("http.response.status_code")->is_int());
  CHECK(text(e, "@timestamp") == "2019-05-10T18:37:47.000000Z");
  CHECK_FALSE(e.contains("client.addr"));
  CHECK(text(e, "event.category") == "web");
  // Another application's JSON is left to the generic JSON handling.
  REQUIRE(d.decode(R"({"app":"other","status":"403"})", false, e));
  CHECK(text(e, "event.dataset") == "json");
  CHECK(text(e, "status") == "403");
}

TEST_CASE("a JSON field map's |lower lower-cases a string value") {
  DecoderSet s;
  std::vector<Diagnostic> diags;
  REQUIRE_MESSAGE(s.load_text("json.yaml",
                              "decoders:\n"
                              "  - name: fw\n"
                              "    input: json\n"
                              "    when_field: app\n"
                              "    when_value: fw\n"
                              "    fields: {proto: network.transport|lower, user: user.name}\n",
                              diags),
                  render_all(diags));
  LineDecoder d(s, options());
  Event e;
  REQUIRE(d.decode(R"({"app":"fw","proto":"TCP","user":"Admin"})", false, e));
  CHECK(text(e, "network.transport") == "tcp");
  CHECK(text(e, "user.name") == "Admin");  // without |lower the text is kept as it is
  CHECK_FALSE(e.contains("proto"));
}

TEST_CASE("a json decoder with rules is refused") {
  auto d = load_errors("decoders:\n  - name: j\n    input: json\n    fields: {a: user.name}\n    rules: [{match: x}]\n");
  REQUIRE(d.size() == 1);
  CHECK(render(d[0]) == "d.yaml:5:12: error[decoder.bad_value]: a json decoder has no rules, only fields");
}

TEST_CASE("a record with its header known (a journal entry) goes through the same decoders") {
  LineDecoder d(builtin(), options());
  SyslogHeader h;
  h.program = "sshd";
  h.hostname = "web1";
  h.pid = 4242;
  h.severity = 5;  // PRIORITY without SYSLOG_FACILITY
  h.timestamp = *parse_rfc3339("2026-11-20T08:00:00.123456Z");
  h.message = "Failed password for invalid user bob from 203.0.113.5 port 2222 ssh2";
  Event e;
  REQUIRE(d.decode_record(h, false, e));
  CHECK(auth_failure(e));
  CHECK(text(e, "event.dataset") == "sshd");
  CHECK(text(e, "source.ip") == "203.0.113.5");
  CHECK(text(e, "user.name") == "bob");
  CHECK(text(e, "process.name") == "sshd");
  CHECK(text(e, "process.pid") == "4242");
  CHECK(text(e, "host.hostname") == "web1");
  CHECK(text(e, "@timestamp") == "2026-11-20T08:00:00.123456Z");
  CHECK(text(e, "log.syslog.severity.name") == "notice");
  CHECK(text(e, "log.syslog.priority") == "<absent>");
  // A message starting with '#' is not a comment here; a blank one carries nothing.
  h.program = "myapp";
  h.message = "# not a comment";
  REQUIRE(d.decode_record(h, true, e));
  CHECK(text(e, "event.dataset") == "syslog");
  CHECK(text(e, "message") == "# not a comment");
  CHECK(text(e, "tags") == "truncated");
  h.message = " \t";
  CHECK_FALSE(d.decode_record(h, false, e));
  CHECK(d.stats().lines == 3);
  CHECK(d.stats().events == 2);
  CHECK(d.stats().truncated == 1);
}

TEST_CASE("an encoded request keeps url.original raw and gets the decoded, normalized path and query") {
  auto e = decode(R"(192.0.2.7 - - [20/Nov/2026:08:00:00 +0700] "GET /static/..%252f..%252fetc/passwd?q=%3Cscript%3E+x HTTP/1.1" 404 153 "-" "curl/8.5.0")");
  CHECK(text(e, "event.dataset") == "apache.access");
  CHECK(text(e, "url.original") == "/static/..%252f..%252fetc/passwd?q=%3Cscript%3E+x");
  CHECK(text(e, "url.path") == "/etc/passwd");
  CHECK(text(e, "url.query") == "q=<script> x");
  CHECK(text(e, "soc.url.decoded") == "/static/../../etc/passwd?q=<script> x");
  CHECK(text(e, "event.outcome") == "failure");
  CHECK(text(e, "user.name") == "<absent>");
}

TEST_CASE("a 401 for a named user in an access log is a refused login; without a user it is not") {
  auto named = decode(R"(192.0.2.8 - admin [20/Nov/2026:08:00:00 +0700] "GET /quan-tri/ HTTP/1.1" 401 172 "-" "Mozilla/5.0")");
  CHECK(auth_failure(named));
  CHECK(text(named, "event.action") == "http_login");
  CHECK(text(named, "user.name") == "admin");
  auto anonymous = decode(R"(192.0.2.8 - - [20/Nov/2026:08:00:00 +0700] "GET /quan-tri/ HTTP/1.1" 401 172 "-" "Mozilla/5.0")");
  CHECK_FALSE(auth_failure(anonymous));
  CHECK(text(anonymous, "event.outcome") == "failure");
}

TEST_CASE("a program prefix selects every postfix instance") {
  for (const char* program : {"postfix/smtpd", "postfix/submission/smtpd", "postfix-out/smtps/smtpd"}) {
    CAPTURE(program);
    auto e = decode(std::string("Nov 20 08:00:00 mail ") + program +
                    "[1]: warning: unknown[192.0.2.9]:587: SASL LOGIN authentication failed: UGFzc3dvcmQ6");
    CHECK(auth_failure(e));
    CHECK(text(e, "source.ip") == "192.0.2.9");
    CHECK(text(e, "event.dataset") == "postfix");
  }
}

TEST_CASE("a journal line without a date and a journalctl JSON entry are decoded like syslog") {
  auto short_form = decode("jump sshd[3001]: Failed password for root from 192.0.2.50 port 41000 ssh2");
  CHECK(auth_failure(short_form));
  CHECK(text(short_form, "host.hostname") == "jump");
  CHECK(text(short_form, "process.pid") == "3001");
  auto json = decode(R"({"__REALTIME_TIMESTAMP":"1763625600000000","_HOSTNAME":"jump","SYSLOG_IDENTIFIER":"sshd","_PID":"3007","PRIORITY":"6","SYSLOG_FACILITY":"10","MESSAGE":"Invalid user admin from 192.0.2.56 port 41004"})");
  CHECK(auth_failure(json));
  CHECK(text(json, "source.ip") == "192.0.2.56");
  CHECK(text(json, "user.name") == "admin");
  CHECK(text(json, "process.name") == "sshd");
  CHECK(text(json, "@timestamp") == "2025-11-20T08:00:00.000000Z");
  CHECK(text(json, "log.syslog.severity.name") == "informational");
  auto other = decode(R"({"MESSAGE":"hello","SYSLOG_IDENTIFIER":"myapp","_PID":"9"})");
  CHECK(text(other, "event.dataset") == "syslog");
  CHECK(text(other, "message") == "hello");
}

TEST_CASE("the address of a PostgreSQL failure comes from its backend's connection line") {
  LineDecoder d(builtin(), options());
  d.set_file_path("/var/log/postgresql/postgresql-15-main.log");
  Event e;
  REQUIRE(d.decode("2026-11-20 08:00:09.120 UTC [5201] [unknown]@[unknown] LOG:  connection received: host=192.0.2.97 port=50400", false, e));
  CHECK(text(e, "source.ip") == "192.0.2.97");
  REQUIRE(d.decode("2026-11-20 08:00:09.131 UTC [5201] hoso@hoso FATAL:  password authentication failed for user \"hoso\"", false, e));
  CHECK(auth_failure(e));
  CHECK(text(e, "source.ip") == "192.0.2.97");
  CHECK(text(e, "user.name") == "hoso");
  REQUIRE(d.decode("2026-11-20 08:00:10.131 UTC [5202] x@y FATAL:  password authentication failed for user \"x\"", false, e));
  CHECK(text(e, "source.ip") == "<absent>");
}

TEST_CASE("a key given twice in a decoder map is refused") {
  auto diags = load_errors(R"(decoders:
  - name: twice
    programs: [x]
    rules:
      - match: 'a'
        set: {event.outcome: failure}
        set: {event.outcome: success}
)");
  REQUIRE(!diags.empty());
  CHECK(render(diags[0]) == "d.yaml:7:9: error[decoder.duplicate_key]: key 'set' appears twice in this map");
}

TEST_CASE("a legitimate line near the length limit still decodes under the regex match limit") {
  // The access log's user agent and the nginx error log's request are scanned by lazy patterns:
  // 60 KB of them stays within core/regex's bounded match.
  const std::string agent(60000, 'a');
  auto access = decode(R"(192.0.2.7 - - [20/Nov/2026:08:00:00 +0700] "GET /dvc/ HTTP/1.1" 200 512 "-" ")" + agent + "\"");
  CHECK(text(access, "event.dataset") == "apache.access");
  CHECK(text(access, "user_agent.original").size() == agent.size());
  auto error = decode("2026/11/20 08:00:00 [error] 7001#7001: *1 " + std::string(60000, 'x') +
                      ", client: 192.0.2.8, server: s, request: \"GET /a HTTP/1.1\"");
  CHECK(text(error, "source.ip") == "192.0.2.8");
  auto sshd = decode("Nov 20 08:00:00 h sshd[1]: Failed password for " + std::string(60000, 'u') +
                     " from 192.0.2.9 port 22 ssh2");
  CHECK(auth_failure(sshd));
  CHECK(text(sshd, "source.ip") == "192.0.2.9");
}

TEST_CASE("hostile lines made of every decoder's keywords decode to something, in bounded work") {
  const char* pieces[] = {"Disconnected (auth failed, 1 attempts): user=<", "rip=", " from ", "Failed password for ",
                          "Access denied for user '", "'@'", " rhost=", "client: ", "../", "%25", "<script", "(", "[",
                          "\\", "\"", "AUTHFAIL: user=", " ip=", "USER ", "(Login failed): ", "IP: "};
  for (const char* prefix : {"Nov 20 08:00:00 h sshd[1]: ", "Nov 20 08:00:00 h dovecot: imap-login: ",
                             "2026/11/20 08:00:00 [error] 1#1: *1 ", "192.0.2.1 - - [20/Nov/2026:08:00:00 +0000] \"GET /",
                             ""}) {
    std::string line = prefix;
    for (size_t i = 0; line.size() < 60000; ++i) line += pieces[(i * 7) % std::size(pieces)];
    CAPTURE(prefix);
    auto e = decode(line);
    CHECK(!text(e, "event.dataset").empty());
  }
}
