// soc-packet-sensor: flows and nDPI classification from packets.
//
// Offline mode (--read FILE, repeatable): the files are read in order as one capture, and every
// event is written to stdout as one JSON line; at the end of input every flow is flushed and the
// exit code is 0. Exit codes: 1 when a file cannot be read as a capture (nothing is written),
// 2 for a usage error (including a BPF filter that does not compile), 78 for a bad config file.
// A file cut in the middle of a packet is read up to the cut, reported on stderr and counted.
// A one-line summary of the counters goes to stderr at the end.
//
// Offline mode with --connect (plus --server-pub, --key, --sensor-id, --site, or --insecure):
// the files are read the same way, but the events are published to the correlator, with
// heartbeats, as in live mode; at the end every flow is flushed and the sensor waits (at most
// --drain-timeout seconds) for the correlator to acknowledge every event: exit 0 when it did, 1
// when it did not or refused the sensor. --replay-speed X paces the reading by the packets'
// timestamps (1: real time, 2: twice as fast; 0, the default: as fast as possible), so that a
// demonstration can replay a capture at its own pace.
//
// Live mode (--interface IF --connect ... --server-pub --key --sensor-id --site): captures
// from IF, then drops to --user (root only), and publishes events to the correlator through
// core/transport, with the capture counters in each heartbeat. SIGINT/SIGTERM end it: every
// flow is flushed and delivered (for up to 10 s) before it exits 0.
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/config/command_line.h"
#include "core/clock.h"
#include "core/json_codec.h"
#include "core/systemd_notify.h"
#include "core/transport/connect_options.h"
#include "core/transport/sender.h"
#include "sensors/packet/packet_sensor.h"
#include "sensors/packet/pcap_source.h"

namespace {

using namespace soc;
using namespace soc::sensors::packet;

struct Options {
  std::vector<std::string> read;
  std::string filter;
  // --sensor-id and --site also name offline events; --connect also publishes an offline read.
  transport::ConnectOptions conn;  // conn.connect: live default kDefaultConnect; offline: stdout unless given
  int64_t max_flows = 100'000;
  double idle_timeout = 120;
  double active_timeout = 1800;
  double tcp_close_timeout = 5;
  // live
  std::string interface;
  int64_t snaplen = 65535;
  int64_t buffer = 16 << 20;
  std::string user = "nobody";
  int64_t heartbeat_s = 10;
  double replay_speed = 0;
  int64_t drain_timeout_s = 30;
};

constexpr const char* kDefaultConnect = "tcp://127.0.0.1:7700";

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

// A value that cannot be used is a usage error (2) on the command line, and a configuration
// error (78, which systemd does not restart) when a --config file was read: it may come from it.
bool g_from_config = false;
int usage_code() { return g_from_config ? config::kExitConfig : config::kExitUsage; }

int usage(const std::string& msg) {
  std::fprintf(stderr, "soc-packet-sensor: %s\n", msg.c_str());
  return usage_code();
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

SensorConfig sensor_config(const Options& o);
Result<transport::SenderConfig> sender_config(const Options& o, const char* mode);
void fill_heartbeat(Event& hb, const SensorStats& st, const PcapSource::Stats& kernel, size_t active_flows);
int run_offline_connect(const Options& o, std::vector<std::unique_ptr<PcapSource>> sources);

// Reads the files in order, as one capture, into the sensor. `go_on()` is asked before each
// frame (false stops the reading); `before(frame)` runs before the sensor takes a frame.
// Returns 1 when a file could not be read to its end, 0 otherwise; a file cut inside a packet is
// read up to the cut and reported.
template <class GoOn, class Before>
int read_captures(const Options& o, std::vector<std::unique_ptr<PcapSource>>& sources, PacketSensor& s, GoOn go_on,
                  Before before) {
  int rc = 0;
  for (size_t i = 0; i < sources.size() && go_on(); ++i) {
    auto& src = *sources[i];
    const int link = src.link_type();
    Frame f;
    while (go_on()) {
      const auto st = src.next(f);
      if (st == NextStatus::Frame) {
        before(f);
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
  return rc;
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
  if (!o.conn.connect.empty()) return run_offline_connect(o, std::move(sources));

  SensorConfig sc = sensor_config(o);
  sc.until_exit = true;  // released, not destroyed, at the end (below)
  // One write(2) per MiB of events rather than per 4 KiB; stdout is this thread's alone.
  static char out_buffer[1 << 20];
  std::setvbuf(stdout, out_buffer, _IOFBF, sizeof(out_buffer));
  std::string line;
  bool write_failed = false;
  auto sensor = PacketSensor::create(sc, [&](const Event& e) {
    line.clear();
    encode_event(e, line);
    line.push_back('\n');
    if (fwrite_unlocked(line.data(), 1, line.size(), stdout) != line.size()) write_failed = true;
  });
  if (!sensor) {
    std::fprintf(stderr, "soc-packet-sensor: %s\n", sensor.error().message.c_str());
    return 1;
  }
  auto& s = **sensor;
  const int rc = read_captures(o, sources, s, [&] { return !write_failed; }, [](const Frame&) {});
  s.flush();
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", summary(s.stats(), sources.size()).c_str());
  if (write_failed || std::ferror(stdout)) {
    std::fprintf(stderr, "soc-packet-sensor: writing to stdout failed\n");
    return 1;
  }
  // Every flow is exported and written: the process ends here, so nDPI's detection module (its
  // automata and IP trees, tens of thousands of allocations, a twentieth of a short run's
  // instructions) is not freed piece by piece; the OS reclaims it at exit. Live mode and
  // --connect still shut down cleanly.
  (void)sensor->release();
  return rc;
}

SensorConfig sensor_config(const Options& o) {
  SensorConfig sc;
  if (!o.conn.sensor_id.empty()) sc.observer_name = o.conn.sensor_id;
  if (!o.conn.site.empty()) sc.site = o.conn.site;
  sc.flows.max_flows = static_cast<size_t>(o.max_flows);
  sc.flows.idle_timeout_us = static_cast<int64_t>(o.idle_timeout * 1e6);
  sc.flows.active_timeout_us = static_cast<int64_t>(o.active_timeout * 1e6);
  sc.flows.tcp_close_linger_us = static_cast<int64_t>(o.tcp_close_timeout * 1e6);
  return sc;
}

// Drops root for `user` once the capture is open: the sensor parses untrusted packets and
// needs no privilege after pcap_activate(). Not root: no user to change (systemd gives the
// unprivileged service user CAP_NET_RAW instead).
//
// Either way, every capability left is dropped, ambient ones included: a service user given
// CAP_NET_RAW by systemd (AmbientCapabilities) keeps none once the socket is open.
Result<void> drop_capabilities() {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return fail("privileges.drop", std::string("cannot clear the ambient capabilities: ") + std::strerror(errno));
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capset, &header, data) != 0) {
    return fail("privileges.drop", std::string("cannot drop the capabilities: ") + std::strerror(errno));
  }
  return {};
}

Result<void> drop_privileges(const std::string& user) {
  if (geteuid() != 0 || user.empty()) return drop_capabilities();
  const passwd* pw = getpwnam(user.c_str());
  if (!pw) return fail("privileges.user", "--user " + user + ": no such user");
  if (setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
    return fail("privileges.drop", "cannot drop privileges to " + user);
  }
  if (setuid(0) == 0) return fail("privileges.drop", "privileges could be regained after dropping to " + user);
  return drop_capabilities();
}

// The sender's configuration from the command line; a usage error has code "usage", an
// unreadable key file "config".
Result<transport::SenderConfig> sender_config(const Options& o, const char* mode) {
  if (o.heartbeat_s < 1) return fail("usage", "--heartbeat must be positive");
  transport::ConnectOptions c = o.conn;
  if (c.connect.empty()) c.connect = kDefaultConnect;
  auto made = transport::sender_config(c, std::string("with ") + mode);
  if (made) {
    made->heartbeat_interval = std::chrono::seconds(o.heartbeat_s);
    // SIGTERM ends a wait for room (a full spool under --spool-full block, a full window).
    made->interrupted = [] { return g_stop.load(); };
  }
  return made;
}

int sender_config_error(const Error& e) {
  std::fprintf(stderr, "soc-packet-sensor: %s\n", e.message.c_str());
  return e.code == "usage" ? usage_code() : config::kExitConfig;
}

// The capture counters each heartbeat carries (the correlator exports them as metrics).
void fill_heartbeat(Event& hb, const SensorStats& st, const PcapSource::Stats& kernel, size_t active_flows) {
  hb.set("soc.sensor.packets_received", static_cast<int64_t>(st.frames));
  hb.set("soc.sensor.packets_dropped_kernel", static_cast<int64_t>(kernel.dropped_kernel));
  hb.set("soc.sensor.packets_dropped_interface", static_cast<int64_t>(kernel.dropped_interface));
  hb.set("soc.sensor.packets_malformed", static_cast<int64_t>(st.malformed));
  hb.set("soc.sensor.flows_active", static_cast<int64_t>(active_flows));
}

void catch_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// A packet sensor whose events go to the correlator through a sender (--connect, live mode).
struct Publishing {
  std::unique_ptr<transport::Sender> tx;
  std::unique_ptr<PacketSensor> sensor;  // destroyed before tx: its last events still go out
  std::string line;
  std::optional<Error> error;  // the first failure: of an event's send, or (offline) of poll/drain
  uint64_t send_failures = 0;
};

// Connects the sender and makes the sensor that publishes through it. Null, with the exit code
// set, when either fails. `stop_on_error` (offline): after the first refused event none is sent;
// otherwise (live) the first ten refusals are reported and the sensor goes on.
std::unique_ptr<Publishing> start_publishing(const Options& o, const transport::SenderConfig& tc, bool stop_on_error,
                                             int& exit_code) {
  auto p = std::make_unique<Publishing>();
  auto sender = transport::Sender::connect(tc);
  if (!sender) {
    std::fprintf(stderr, "soc-packet-sensor: %s\n", sender.error().message.c_str());
    exit_code = sender.error().code == "config" ? config::kExitConfig : 1;
    return nullptr;
  }
  p->tx = std::move(*sender);
  SensorConfig sc = sensor_config(o);
  sc.observer_name = o.conn.sensor_id;
  sc.site = o.conn.site;
  auto made = PacketSensor::create(sc, [p = p.get(), stop_on_error](const Event& e) {
    if (stop_on_error && p->error) return;
    p->line.clear();
    encode_event(e, p->line);
    if (auto r = p->tx->send(p->line); !r) {
      if (!p->error) p->error = r.error();
      if (!stop_on_error && ++p->send_failures <= 10)
        std::fprintf(stderr, "soc-packet-sensor: sending an event: %s\n", r.error().message.c_str());
    }
  });
  if (!made) {
    std::fprintf(stderr, "soc-packet-sensor: %s\n", made.error().message.c_str());
    exit_code = 1;
    return nullptr;
  }
  p->sensor = std::move(*made);
  return p;
}

// --replay-speed: packet time t is replayed at wall time start + (t - first) / speed. The wait
// polls the sender (acknowledgements, heartbeats); a failure of it is kept in `error`.
class Pacer {
 public:
  Pacer(double speed, transport::Sender& tx, std::optional<Error>& error) : speed_(speed), tx_(tx), error_(error) {}
  void wait_until_due(int64_t ts_us) {
    if (!have_first_) {
      have_first_ = true;
      first_ts_ = ts_us;
      wall_start_ = Clock::now();
      return;
    }
    const auto due = wall_start_ + std::chrono::microseconds(static_cast<int64_t>(
                                       static_cast<double>(ts_us - first_ts_) / speed_));
    for (auto now = Clock::now(); now < due && !g_stop && !error_; now = Clock::now()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - now);
      if (auto r = tx_.poll(std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(100))); !r)
        error_ = r.error();
    }
  }

 private:
  using Clock = std::chrono::steady_clock;
  double speed_;
  transport::Sender& tx_;
  std::optional<Error>& error_;
  Clock::time_point wall_start_;
  int64_t first_ts_ = 0;
  bool have_first_ = false;
};

// Offline reading published to the correlator: the same events as on stdout, delivered and
// acknowledged before the exit.
int run_offline_connect(const Options& o, std::vector<std::unique_ptr<PcapSource>> sources) {
  auto tcr = sender_config(o, "--connect");
  if (!tcr) return sender_config_error(tcr.error());
  auto tc = std::move(*tcr);
  tc.fail_on_refusal = true;  // one-shot: a refusal is the answer, not something to wait out
  tc.stall_timeout = std::chrono::seconds(o.drain_timeout_s);
  int exit_code = 0;
  auto p = start_publishing(o, tc, /*stop_on_error=*/true, exit_code);
  if (!p) return exit_code;
  auto& tx = *p->tx;
  auto& s = *p->sensor;
  auto& error = p->error;
  tx.on_heartbeat([&](Event& hb) { fill_heartbeat(hb, s.stats(), PcapSource::Stats{}, s.active_flows()); });
  catch_stop_signals();

  Pacer pacer(o.replay_speed, tx, error);
  uint64_t since_poll = 0;
  const int rc = read_captures(
      o, sources, s, [&] { return !g_stop && !error; },
      [&](const Frame& f) {
        if (o.replay_speed > 0) pacer.wait_until_due(f.ts_us);
        if (++since_poll >= 1024) {  // acks and heartbeats while reading a long file
          since_poll = 0;
          if (auto r = tx.poll(std::chrono::milliseconds(0)); !r) error = r.error();
        }
      });
  if (g_stop) std::fprintf(stderr, "soc-packet-sensor: interrupted; delivering the flows read so far\n");
  s.flush();
  if (!error) {
    if (auto r = tx.drain(std::chrono::seconds(o.drain_timeout_s)); !r) error = r.error();
  }
  const auto ts = tx.stats();
  std::fprintf(stderr, "%s; %llu of %llu events acknowledged by %s\n", summary(s.stats(), sources.size()).c_str(),
               static_cast<unsigned long long>(ts.events_acked), static_cast<unsigned long long>(ts.events_queued),
               tc.endpoint.c_str());
  if (error) {
    std::fprintf(stderr, "soc-packet-sensor: %s\n", error->message.c_str());
    return 1;
  }
  return rc;
}

// Live mode: the interface's capture, open and of a supported link type. Null, with the exit
// code set, when not.
std::unique_ptr<PcapSource> open_capture(const Options& o, int& exit_code) {
  auto src = PcapSource::open_live(o.interface, static_cast<int>(o.snaplen), static_cast<int>(o.buffer), o.filter);
  if (!src) {
    // A missing interface or a capture the service may not open is a configuration problem: 78,
    // which systemd does not restart (the journal says which and why).
    const bool filter = src.error().code == "capture.filter";
    std::fprintf(stderr, "soc-packet-sensor: %s%s\n", filter ? "" : "--interface: ", src.error().message.c_str());
    exit_code = filter ? usage_code() : config::kExitConfig;
    return nullptr;
  }
  if (!is_supported((*src)->link_type())) {
    std::fprintf(stderr, "soc-packet-sensor: %s: link type %s is not supported\n", o.interface.c_str(),
                 (*src)->link_type_name().c_str());
    exit_code = 1;
    return nullptr;
  }
  return std::move(*src);
}

// Live mode's loop, until SIGINT/SIGTERM (0) or a failed capture (1): frames into the sensor,
// the sender serviced, flows expired every second, and waits that end at the first of a frame,
// the correlator's answer, the sender's next deadline or the next tick. `kernel`: the capture's
// counters as of the last tick (the heartbeats read them).
int capture_loop(const Options& o, PcapSource& cap, Publishing& p, PcapSource::Stats& kernel) {
  auto& tx = *p.tx;
  auto& s = *p.sensor;
  const int link = cap.link_type();
  auto next_status = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto last_tick = std::chrono::steady_clock::now();
  const std::function<void(const Frame&)> on_frame = [&](const Frame& f) {
    s.on_frame(link, f.data, f.caplen, f.wire_len, f.ts_us);
  };
  const int cap_fd = cap.selectable_fd();
  std::vector<pollfd> wait_fds;
  if (cap_fd >= 0) wait_fds.push_back({cap_fd, POLLIN, 0});
  for (int fd : tx.wait_fds()) wait_fds.push_back({fd, POLLIN, 0});
  // A wait never outlasts a quarter of the watchdog's interval: the loop pings it every turn.
  const int64_t watchdog_ms = std::chrono::duration_cast<std::chrono::milliseconds>(systemd::watchdog_interval()).count();
  const int64_t max_wait_ms = watchdog_ms > 0 ? std::clamp<int64_t>(watchdog_ms / 4, 1, 1000) : 1000;
  while (!g_stop) {
    systemd::watchdog_ping();
    const int n = cap.dispatch(256, on_frame);
    if (n < 0) {
      std::fprintf(stderr, "soc-packet-sensor: %s: capture failed: %s\n", o.interface.c_str(), cap.error().c_str());
      return 1;
    }
    if (auto r = tx.poll(std::chrono::milliseconds(0)); !r && r.error().code != "interrupted") {
      std::fprintf(stderr, "soc-packet-sensor: %s\n", r.error().message.c_str());
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_tick >= std::chrono::seconds(1)) {  // quiet links still end their flows
      last_tick = now;
      kernel = cap.stats();
      s.expire(std::chrono::duration_cast<std::chrono::microseconds>(soc::now().time_since_epoch()).count());
      if (now >= next_status) {
        next_status = now + std::chrono::seconds(10);
        systemd::notify_status(std::to_string(s.stats().frames) + " frames, " + std::to_string(s.active_flows()) +
                               " active flows, " + std::to_string(s.stats().flow_events) + " flows exported, " +
                               std::to_string(kernel.dropped_kernel) + " dropped by the kernel");
      }
    }
    if (n > 0) continue;
    const auto until = std::min(tx.next_deadline(), last_tick + std::chrono::seconds(1));
    now = std::chrono::steady_clock::now();
    int wait_ms = static_cast<int>(std::clamp<int64_t>(
        std::chrono::ceil<std::chrono::milliseconds>(until - now).count(), 0, max_wait_ms));
    if (cap_fd < 0) wait_ms = std::min(wait_ms, 10);  // no selectable descriptor: poll the capture
    ::poll(wait_fds.data(), wait_fds.size(), wait_ms);
  }
  return 0;
}

int run_live(const Options& o) {
  if (o.snaplen < 64 || o.snaplen > 262144 || o.buffer < 65536) {
    return usage("--snaplen must be 64..262144, --buffer at least 65536");
  }
  auto tcr = sender_config(o, "--interface");
  if (!tcr) return sender_config_error(tcr.error());
  auto tc = std::move(*tcr);
  tc.fail_on_refusal = false;  // a daemon keeps trying
  // Connects to the service manager's socket while the process may still reach it: the
  // privileges are dropped once the capture is open.
  systemd::notify_status("opening the capture on " + o.interface);
  int exit_code = 0;
  auto cap = open_capture(o, exit_code);
  if (!cap) return exit_code;
  if (auto r = drop_privileges(o.user); !r) {
    std::fprintf(stderr, "soc-packet-sensor: %s\n", r.error().message.c_str());
    return 1;
  }
  auto p = start_publishing(o, tc, /*stop_on_error=*/false, exit_code);
  if (!p) return exit_code;
  auto& s = *p->sensor;
  PcapSource::Stats kernel{};
  p->tx->on_heartbeat([&](Event& hb) { fill_heartbeat(hb, s.stats(), kernel, s.active_flows()); });
  catch_stop_signals();
  std::fprintf(stderr, "soc-packet-sensor: capturing on %s (%s), publishing to %s as %s\n", o.interface.c_str(),
               cap->link_type_name().c_str(), tc.endpoint.c_str(), o.conn.sensor_id.c_str());
  systemd::notify_ready("capturing on " + o.interface + ", publishing to " + tc.endpoint + " as " + o.conn.sensor_id);
  int rc = capture_loop(o, *cap, *p, kernel);
  systemd::notify_stopping();
  s.flush();
  kernel = cap->stats();
  if (auto r = p->tx->drain(std::chrono::seconds(10)); !r) {
    std::fprintf(stderr, "soc-packet-sensor: %s\n", r.error().message.c_str());
    rc = 1;
  }
  std::fprintf(stderr, "%s, kernel dropped %llu, interface dropped %llu\n", summary(s.stats(), 0).c_str(),
               static_cast<unsigned long long>(kernel.dropped_kernel),
               static_cast<unsigned long long>(kernel.dropped_interface));
  return rc;
}

// The body of main() (run_main reports what escapes it).
int main_body(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options o;
  config::CommandLine cli("soc-packet-sensor",
                          "Packet sensor: flows and nDPI classification from capture files (JSON lines on stdout).");
  cli.root()
      .option("read", o.read, "Capture file (pcap or pcapng) to read; repeat for several files, read in order")
      .option("filter", o.filter, "BPF filter applied to the capture (tcpdump syntax)")
      .option("sensor-id", o.conn.sensor_id, "observer.name of the events (offline default: offline)")
      .option("site", o.conn.site, "site.id of the events (offline default: offline)")
      .option("max-flows", o.max_flows, "Most flows tracked at once; when full, the least recently seen is exported")
      .option("idle-timeout", o.idle_timeout, "Seconds without packets after which a flow is exported")
      .option("active-timeout", o.active_timeout, "Seconds after which a long flow is exported and a new one begins")
      .option("tcp-close-timeout", o.tcp_close_timeout,
              "Seconds a TCP flow ended by FIN/RST waits for its last packets before it is exported")
      .option("interface", o.interface, "Live capture: the interface to capture from (needs CAP_NET_RAW)")
      .option("snaplen", o.snaplen, "Live capture: bytes captured per packet")
      .option("buffer", o.buffer, "Live capture: kernel buffer in bytes")
      .option("connect", o.conn.connect,
              "The correlator's ZeroMQ endpoint (live default: tcp://127.0.0.1:7700); with --read, publish the "
              "events there instead of stdout")
      .option("server-pub", o.conn.server_pub, "With --connect or --interface: the correlator's CURVE public key file")
      .option("key", o.conn.key, "With --connect or --interface: this sensor's CURVE secret key file (socctl keygen)")
      .flag("insecure", o.conn.insecure, "Plain TCP without CURVE (the correlator must run with --insecure too)")
      .option("user", o.user, "Live capture: the user to run as once the capture is open (when started as root)")
      .option("heartbeat", o.heartbeat_s, "With --connect or --interface: seconds between heartbeats")
      .option("replay-speed", o.replay_speed,
              "With --read and --connect: replay at the packets' pace times this (1: real time; 0: at once)")
      .option("drain-timeout", o.drain_timeout_s,
              "With --read and --connect: seconds to wait for the correlator's acknowledgements before failing");
  transport::add_delivery_options(cli.root(), o.conn);
  if (auto code = cli.parse(argc, argv)) return *code;
  g_from_config = !cli.root().config_path().empty();
  if (!o.read.empty() && !o.interface.empty()) return usage("--read and --interface exclude each other");
  if (o.read.empty() && o.interface.empty()) return usage("--read FILE or --interface IF is required");
  if (o.max_flows < 1) return usage("--max-flows must be at least 1");
  if (o.idle_timeout <= 0 || o.active_timeout <= 0 || o.tcp_close_timeout < 0) {
    return usage("--idle-timeout and --active-timeout must be positive, --tcp-close-timeout not negative");
  }
  if (o.replay_speed < 0 || o.drain_timeout_s < 1) {
    return usage("--replay-speed must not be negative, --drain-timeout must be positive");
  }
  if (o.replay_speed > 0 && (o.read.empty() || o.conn.connect.empty())) {
    return usage("--replay-speed goes with --read and --connect");
  }
  if (!o.interface.empty()) return run_live(o);
  return run_offline(o);
}

}  // namespace

int main(int argc, char** argv) { return soc::config::run_main("soc-packet-sensor", main_body, argc, argv); }
