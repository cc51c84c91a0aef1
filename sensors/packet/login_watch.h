// Reads the outcome of clear-text logins (FTP, POP3, IMAP, SMTP AUTH) from the first payloads
// of a TCP flow: the client's login command, then the server's reply to it. nDPI 4.2 records
// the user name of these logins (and, for FTP only, that a reply refused one: auth_failed); it
// does not follow the POP3, IMAP and SMTP replies. The outcome is used only when nDPI classified
// the flow as one of these protocols (docs/adr/0032-login-outcome-from-flows.md).
// Untrusted bytes: bounded work per packet, no allocation, never throws.
#pragma once

#include <cstddef>
#include <cstdint>

namespace soc::sensors::packet {

class LoginWatch {
 public:
  // How many payload packets of a flow are looked at (both directions): a brute-forcing client
  // tries a few logins per connection, each a command and a reply.
  static constexpr uint8_t kBudget = 48;

  // One payload of the flow; `from_client` is the direction (the flow's source is the client).
  void on_payload(const uint8_t* data, size_t len, bool from_client);

  bool watching() const { return budget_ > 0; }
  uint16_t failures() const { return failures_; }
  uint16_t successes() const { return successes_; }

 private:
  // What the next server line answers: an IMAP tagged command, or a PASS/APOP/AUTH command
  // (FTP, POP3, SMTP: numeric codes or +OK/-ERR).
  enum class Await : uint8_t { None, Imap, Reply };
  void client_line(const char* s, size_t n);
  void server_line(const char* s, size_t n);

  uint8_t budget_ = kBudget;
  Await await_ = Await::None;
  uint8_t tag_len_ = 0;
  char tag_[15] = {};  // the IMAP tag of the pending LOGIN / AUTHENTICATE
  uint16_t failures_ = 0, successes_ = 0;
};

}  // namespace soc::sensors::packet
