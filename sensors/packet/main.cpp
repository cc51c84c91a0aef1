// soc-packet-sensor: flows and nDPI classification from packets.
//
// Offline mode (--read FILE, repeatable): the files are read in order as one capture, and every
// event is written to stdout as one JSON line; at the end of input every flow is flushed and the
// exit code is 0. Exit codes: 1 when a file cannot be read as a capture (nothing is written),
// 2 for a usage error (including a BPF filter that does not compile), 78 for a bad config file.
// A file cut in the middle of a packet is read up to the cut, reported on stderr and counted.
// A one-line summary of the counters goes to stderr at the end.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/config/command_line.h"
#include "core/json_codec.h"
#include "sensors/packet/packet_sensor.h"
#include "sensors/packet/pcap_source.h"

namespace {

using namespace soc;
using namespace soc::sensors::packet;

struct Options {
  std::vector<std::string> read;
  std::string filter;
  std::string sensor_id;
  std::string site;
  int64_t max_flows = 100'000;
  double idle_timeout = 120;
  double active_timeout = 1800;
  double tcp_close_timeout = 5;
};

int usage(const std::string& msg) {
  std::fprintf(stderr, "soc-packet-sensor: %s\n", msg.c_str());
  return config::kExitUsage;
}

std::string summary(const SensorStats& s, size_t files) {
  std::string out = "soc-packet-sensor: " + std::to_string(files) + " file(s), " + std::to_string(s.frames) +
                    " frames, " + std::to_string(s.packets) + " flow packets, " + std::to_string(s.flow_events) +
                    " flows, " + std::to_string(s.risk_events) + " risk events, " + std::to_string(s.malformed) +
                    " malformed";
  std::string reasons;
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    if (s.dropped[i] == 0) continue;
    if (!reasons.empty()) reasons += ", ";
    reasons += std::string(to_string(static_cast<DropReason>(i))) + ": " + std::to_string(s.dropped[i]);
  }
  if (s.unsupported_link) {
    if (!reasons.empty()) reasons += ", ";
    reasons += "unsupported_link: " + std::to_string(s.unsupported_link);
  }
  if (!reasons.empty()) out += " (dropped: " + reasons + ")";
  return out;
}

int run_offline(const Options& o) {
  // Open every file first: an unusable file fails the run before anything is written.
  std::vector<std::unique_ptr<PcapSource>> sources;
  for (const auto& path : o.read) {
    auto src = PcapSource::open_file(path, o.filter);
    if (!src) {
      std::fprintf(stderr, "soc-packet-sensor: %s\n", src.error().message.c_str());
      return src.error().code == "capture.filter" ? config::kExitUsage : 1;
    }
    if (!is_supported((*src)->link_type())) {
      std::fprintf(stderr, "soc-packet-sensor: %s: link type %s is not supported\n", path.c_str(),
                   (*src)->link_type_name().c_str());
      return 1;
    }
    sources.push_back(std::move(*src));
  }

  SensorConfig sc;
  if (!o.sensor_id.empty()) sc.observer_name = o.sensor_id;
  if (!o.site.empty()) sc.site = o.site;
  sc.flows.max_flows = static_cast<size_t>(o.max_flows);
  sc.flows.idle_timeout_us = static_cast<int64_t>(o.idle_timeout * 1e6);
  sc.flows.active_timeout_us = static_cast<int64_t>(o.active_timeout * 1e6);
  sc.flows.tcp_close_linger_us = static_cast<int64_t>(o.tcp_close_timeout * 1e6);

  std::string line;
  bool write_failed = false;
  auto sensor = PacketSensor::create(sc, [&](const Event& e) {
    line.clear();
    encode_event(e, line);
    line.push_back('\n');
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) write_failed = true;
  });
  if (!sensor) {
    std::fprintf(stderr, "soc-packet-sensor: %s\n", sensor.error().message.c_str());
    return 1;
  }
  auto& s = **sensor;
  int rc = 0;
  for (size_t i = 0; i < sources.size() && !write_failed; ++i) {
    auto& src = *sources[i];
    const int link = src.link_type();
    Frame f;
    for (;;) {
      const auto st = src.next(f);
      if (st == NextStatus::Frame) {
        s.on_frame(link, f.data, f.caplen, f.wire_len, f.ts_us);
        continue;
      }
      if (st == NextStatus::Truncated) {
        std::fprintf(stderr, "soc-packet-sensor: %s: the file ends inside a packet (%s); read up to there\n",
                     o.read[i].c_str(), src.error().c_str());
      } else if (st == NextStatus::Error) {
        std::fprintf(stderr, "soc-packet-sensor: %s: read error: %s\n", o.read[i].c_str(), src.error().c_str());
        rc = 1;
      }
      break;
    }
  }
  s.flush();
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", summary(s.stats(), sources.size()).c_str());
  if (write_failed || std::ferror(stdout)) {
    std::fprintf(stderr, "soc-packet-sensor: writing to stdout failed\n");
    return 1;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options o;
  config::CommandLine cli("soc-packet-sensor",
                          "Packet sensor: flows and nDPI classification from capture files (JSON lines on stdout).");
  cli.root()
      .option("read", o.read, "Capture file (pcap or pcapng) to read; repeat for several files, read in order")
      .option("filter", o.filter, "BPF filter applied to the capture (tcpdump syntax)")
      .option("sensor-id", o.sensor_id, "observer.name of the events (offline default: offline)")
      .option("site", o.site, "site.id of the events (offline default: offline)")
      .option("max-flows", o.max_flows, "Most flows tracked at once; when full, the least recently seen is exported")
      .option("idle-timeout", o.idle_timeout, "Seconds without packets after which a flow is exported")
      .option("active-timeout", o.active_timeout, "Seconds after which a long flow is exported and a new one begins")
      .option("tcp-close-timeout", o.tcp_close_timeout,
              "Seconds a TCP flow ended by FIN/RST waits for its last packets before it is exported");
  if (auto code = cli.parse(argc, argv)) return *code;
  if (o.read.empty()) return usage("--read FILE is required (live capture is not available yet)");
  if (o.max_flows < 1) return usage("--max-flows must be at least 1");
  if (o.idle_timeout <= 0 || o.active_timeout <= 0 || o.tcp_close_timeout < 0) {
    return usage("--idle-timeout and --active-timeout must be positive, --tcp-close-timeout not negative");
  }
  return run_offline(o);
}
