#include "sensors/packet/login_watch.h"

#include <doctest/doctest.h>

#include <string>

using soc::sensors::packet::LoginWatch;

namespace {

void say(LoginWatch& w, const std::string& text, bool client) {
  w.on_payload(reinterpret_cast<const uint8_t*>(text.data()), text.size(), client);
}

}  // namespace

TEST_CASE("an FTP or POP3 password is judged by the reply that follows it") {
  LoginWatch ftp;
  say(ftp, "220 (vsFTPd 3.0.3)\r\n", false);
  say(ftp, "USER admin\r\n", true);
  say(ftp, "331 Please specify the password.\r\n", false);  // a reply to USER, not a verdict
  CHECK(ftp.failures() == 0);
  say(ftp, "PASS x\r\n", true);
  say(ftp, "530 Login incorrect.\r\n", false);
  say(ftp, "USER admin\r\nPASS y\r\n", true);
  say(ftp, "230 Login successful.\r\n", false);
  CHECK(ftp.failures() == 1);
  CHECK(ftp.successes() == 1);
  LoginWatch pop;
  say(pop, "+OK ready\r\n", false);
  say(pop, "USER info\r\n", true);
  say(pop, "+OK\r\n", false);  // before PASS: not a verdict
  say(pop, "PASS x\r\n", true);
  say(pop, "-ERR [AUTH] Authentication failed.\r\n", false);
  CHECK(pop.failures() == 1);
  CHECK(pop.successes() == 0);
}

TEST_CASE("IMAP verdicts are the tagged replies to LOGIN and AUTHENTICATE") {
  LoginWatch w;
  say(w, "* OK Dovecot ready.\r\n", false);
  say(w, "a1 LOGIN info secret\r\n", true);
  say(w, "* CAPABILITY IMAP4rev1\r\n", false);
  say(w, "a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", false);
  say(w, "A2 AUTHENTICATE PLAIN\r\n", true);
  say(w, "+ \r\n", false);
  say(w, "AGluZm8Ac2VjcmV0\r\n", true);
  say(w, "A2 OK Logged in\r\n", false);
  CHECK(w.failures() == 1);
  CHECK(w.successes() == 1);
}

TEST_CASE("SMTP AUTH waits through 334 continuations; AUTH TLS is not a login") {
  LoginWatch w;
  say(w, "EHLO client\r\n", true);
  say(w, "250-mail.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n", false);
  say(w, "AUTH LOGIN\r\n", true);
  say(w, "334 VXNlcm5hbWU6\r\n", false);
  say(w, "aW5mbw==\r\n", true);
  say(w, "334 UGFzc3dvcmQ6\r\n", false);
  say(w, "c2VjcmV0\r\n", true);
  say(w, "535 5.7.8 Error: authentication failed\r\n", false);
  CHECK(w.failures() == 1);
  LoginWatch tls;
  say(tls, "AUTH TLS\r\n", true);
  say(tls, "234 Proceed with negotiation.\r\n", false);
  CHECK(tls.successes() == 0);
  CHECK(tls.failures() == 0);
}

TEST_CASE("the watch looks at a bounded number of packets and survives garbage") {
  LoginWatch w;
  std::string junk(70000, '\n');
  for (int i = 0; i < 200; ++i) say(w, junk, i % 2 == 0);
  CHECK_FALSE(w.watching());
  say(w, "PASS x\r\n", true);
  say(w, "530 no\r\n", false);
  CHECK(w.failures() == 0);
  LoginWatch binary;
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes.push_back(static_cast<char>(i * 37));
  say(binary, bytes, true);
  say(binary, bytes, false);
  CHECK(binary.failures() + binary.successes() <= 2);
}
