#include "sensors/packet/login_watch.h"

namespace soc::sensors::packet {
namespace {

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

// Case-insensitive prefix test of a line.
bool starts(const char* s, size_t n, const char* word) {
  size_t i = 0;
  for (; word[i]; ++i)
    if (i >= n || upper(s[i]) != word[i]) return false;
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

void LoginWatch::on_payload(const uint8_t* data, size_t len, bool from_client) {
  if (budget_ == 0 || len == 0) return;
  --budget_;
  const char* p = reinterpret_cast<const char*>(data);
  // Lines of the payload, at most 32 of them (a pipelining client, a multi-line reply).
  size_t start = 0;
  for (int lines = 0; start < len && lines < 32; ++lines) {
    size_t end = start;
    while (end < len && p[end] != '\n') ++end;
    size_t n = end - start;
    if (n > 0 && p[start + n - 1] == '\r') --n;
    if (from_client) client_line(p + start, n);
    else server_line(p + start, n);
    start = end + 1;
  }
}

void LoginWatch::client_line(const char* s, size_t n) {
  if (starts(s, n, "PASS ") || starts(s, n, "APOP ")) {
    await_ = Await::Reply;  // FTP and POP3 share PASS; the reply's form tells them apart
    return;
  }
  if (starts(s, n, "AUTH ")) {
    // FTP's "AUTH TLS" asks for encryption, not a login.
    if (starts(s, n, "AUTH TLS") || starts(s, n, "AUTH SSL")) return;
    await_ = Await::Reply;  // SMTP AUTH, or POP3 AUTH (RFC 5034): both replies are read below
    return;
  }
  // IMAP: "<tag> LOGIN user pass" or "<tag> AUTHENTICATE mech".
  size_t sp = 0;
  while (sp < n && sp < sizeof(tag_) && s[sp] != ' ') ++sp;
  if (sp == 0 || sp >= n || sp >= sizeof(tag_)) return;
  const char* rest = s + sp + 1;
  const size_t rn = n - sp - 1;
  if (starts(rest, rn, "LOGIN ") || starts(rest, rn, "AUTHENTICATE ")) {
    await_ = Await::Imap;
    tag_len_ = static_cast<uint8_t>(sp);
    for (size_t i = 0; i < sp; ++i) tag_[i] = s[i];
  }
}

void LoginWatch::server_line(const char* s, size_t n) {
  switch (await_) {
    case Await::None:
      return;
    case Await::Imap: {
      if (n <= tag_len_ || s[tag_len_] != ' ') return;  // untagged "* ..." or "+ " continuation
      for (size_t i = 0; i < tag_len_; ++i)
        if (s[i] != tag_[i]) return;
      const char* rest = s + tag_len_ + 1;
      const size_t rn = n - tag_len_ - 1;
      if (starts(rest, rn, "OK")) ++successes_;
      else if (starts(rest, rn, "NO") || starts(rest, rn, "BAD")) ++failures_;
      else return;
      await_ = Await::None;
      return;
    }
    case Await::Reply: {
      if (starts(s, n, "+OK")) {
        ++successes_;
      } else if (starts(s, n, "-ERR")) {
        ++failures_;
      } else if (n >= 3 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && (n == 3 || s[3] == ' ')) {
        // The final line of a reply ("230 Login successful", "535 5.7.8 ..."); "334 ..." and
        // "331 ..." ask for more, "250-..." lines are not final.
        if (s[0] == '2') ++successes_;
        else if (s[0] == '4' || s[0] == '5') ++failures_;
        else return;
      } else {
        return;  // "+ " continuation, or a line of a multi-line reply
      }
      await_ = Await::None;
      return;
    }
  }
}

}  // namespace soc::sensors::packet
