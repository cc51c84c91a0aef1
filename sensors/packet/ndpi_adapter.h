// The one place that includes nDPI (Debian 12 ships nDPI 4.2; its API changes between versions).
// It drives detection per flow the way ndpiReader 4.2 does, so that our ndpi.protocol agrees
// with `ndpiReader -C`:
//   - every packet of a flow goes to ndpi_detection_process_packet until detection completes;
//   - detection completes when the app protocol is known and nDPI wants no extra packets
//     (ndpi_extra_dissection_possible), or when the flow has more than 80 (TCP) / 24 (UDP)
//     packets (ndpiReader's max_num_tcp/udp_dissected_pkts), whichever comes first;
//   - a flow completed without an app protocol, or ended before completion, is given up with
//     ndpi_detection_giveup(guess = 1), as ndpiReader does at completion and at the end.
// Single-threaded: a Classifier and its flows belong to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace soc::sensors::packet {

// What nDPI concluded about a flow, copied out of nDPI's structures (which are freed as soon as
// detection completes, to bound memory). Empty strings mean "not found".
struct DpiResult {
  std::string protocol;         // exactly as ndpiReader prints it: "TLS.Google", "DNS", "Unknown"
  std::string master_protocol;  // lower case: "tls", "dns", "unknown" (network.protocol)
  std::string category;         // nDPI category name
  std::string tls_server_name, tls_version, ja3_client, ja3_server;
  std::string dns_query;
  std::string http_host, http_method, http_url, user_agent;
  int http_status = 0;
  std::string ssh_client, ssh_server;
  // A clear-text login nDPI saw (FTP, POP3, IMAP, SMTP AUTH): the protocol ("ftp", "pop3",
  // "imap", "smtp"; empty when none), the user name it read, and whether a reply refused a
  // login (nDPI 4.2 records that for FTP only: its auth_failed flag).
  std::string login_protocol, login_user;
  bool login_failed = false;
};

class DpiFlow;  // nDPI's per-flow state, opaque outside the adapter
struct DpiFlowDeleter {
  void operator()(DpiFlow* f) const;
};
using DpiFlowPtr = std::unique_ptr<DpiFlow, DpiFlowDeleter>;

class Classifier {
 public:
  // Initialises nDPI with every protocol enabled and default preferences, as ndpiReader does.
  // `until_exit`: the caller never destroys this classifier (the process ends with it, as offline
  // reading does), so nDPI's start-up allocations (some 100,000 small blocks: its IP prefix trees
  // and host name automata) are carved from one arena that is never freed, instead of malloc'd
  // one by one. Detection is the same either way.
  static Result<std::unique_ptr<Classifier>> create(bool until_exit = false);
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // A fresh detection state; nullptr when memory ran out (the flow is then not classified).
  DpiFlowPtr new_flow();

  // Feeds one packet (from its IP header; `len` captured bytes) of a flow whose transport is
  // `l4_protocol` and which has seen `flow_packets` packets including this one. Returns true
  // when detection completed with this packet: the caller then calls finish() and drops the
  // state. `risk` receives the flow's nDPI risk bitmask after the packet.
  bool process(DpiFlow& dpi, const uint8_t* ip, uint32_t len, uint64_t time_ms, uint8_t l4_protocol,
               uint64_t flow_packets, uint64_t& risk);

  // Ends detection (giving up, with guessing, if it had not completed) and copies the result.
  // `risk` receives the final risk bitmask.
  void finish(DpiFlow& dpi, DpiResult& out, uint64_t& risk);

  // nDPI's name of risk bit `bit` ("Known Protocol on Non Standard Port", ...).
  static std::string_view risk_name(unsigned bit);
  static constexpr unsigned kMaxRisk = 64;

  // Bytes nDPI allocates per flow under detection (sizeof its flow struct).
  static size_t flow_state_bytes();

 private:
  Classifier() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace soc::sensors::packet
