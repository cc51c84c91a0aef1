// The log sensor's daemon mode: follows files (--file) and the journal (--journal), receives
// syslog (--syslog-udp, --syslog-tcp), decodes every line like --read, and hands the events to
// the sink, until SIGINT/SIGTERM; with a checkpoint that a restart resumes from
// (docs/adr/0007-log-sensor.md).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sensors/log/decoder.h"
#include "sensors/log/sink.h"
#include "sensors/log/syslog_listener.h"

namespace soc::sensors::log {

struct FollowOptions {
  std::vector<std::string> files;
  std::string checkpoint;
  std::string start = "end";
  bool journal = false;
  std::string journal_dir;
  std::vector<std::string> journal_matches;
  std::string journal_start = "end";
};

struct ListenOptions {
  std::string udp, tcp;  // ADDR:PORT, empty: not this one
  TcpLimits tcp_limits;
  size_t max_message = 64 * 1024;
  bool stats = false;  // print the counters to stderr at the end
};

// Runs until SIGINT/SIGTERM (0), or a configuration that cannot be used (78, 2). The checkpoint
// holds where to resume: on stdout, the lines written (at most once a second, and at exit); to
// the correlator, the position of the newest batch such that every batch up to it is
// acknowledged, or spooled (--spool), written as acknowledgements arrive (at most once a second)
// and at exit. A restart neither repeats what the correlator acknowledged or the spool holds,
// nor skips what it does not.
int listen(const DecoderSet& set, DecodeOptions opt, const ListenOptions& lo, Sink& sink, const FollowOptions& follow);

// SIGINT or SIGTERM arrived (listen() installs the handlers).
bool stop_requested();

// The decoder's counters in a heartbeat (the correlator exports them as soc_sensor_<name>_total,
// docs/metrics.md).
void fill_decode_counters(Event& hb, const DecodeStats& d);

// The decoder's counters on stderr (--stats).
void print_stats(const DecodeStats& s);

}  // namespace soc::sensors::log
