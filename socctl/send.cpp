// socctl send: publishes events from JSON-lines files through the real transport, as a sensor
// would. Exits 0 once the correlator has acknowledged every event; 1 with the reason otherwise
// (lines that are not valid events are reported as FILE:LINE, skipped, and make the exit 1 after
// the valid ones were delivered; events dropped by the spool's limits make it 1 too, with their
// number).
//
// With --spool, each batch records where in which file it ends; a socctl send started again on
// the same spool (after a crash, or a correlator that stayed away past --timeout) first resends
// what the spool holds unacknowledged, then goes on reading the files after the last spooled
// event: nothing is sent twice that was acknowledged, nothing is skipped.
#include <fmt/core.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <sstream>

#include "core/allocator.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/json_codec.h"
#include "core/line_reader.h"
#include "core/log.h"
#include "core/transport/sender.h"
#include "socctl/commands.h"

namespace soc::ctl {

void add_send(config::Command& root, SendOptions& o, config::Command*& cmd) {
  cmd = &root.subcommand("send", "Send events from JSON-lines files to the correlator, as a sensor would");
  transport::add_connect_options(*cmd, o.conn, "The correlator's ZeroMQ endpoint");
  cmd->option("timeout", o.timeout_s, "Seconds to wait for acknowledgements before giving up")
      .option("batch", o.batch, "Events per batch")
      .option("heartbeat", o.heartbeat_s, "Seconds between heartbeats")
      .flag("quiet", o.quiet, "Print nothing on success")
      .option("rate", o.rate, "Events per second (0: as fast as the correlator takes them)")
      .flag("loop", o.loop, "Send the files again and again until interrupted (demos)")
      .flag("stamp-now", o.stamp_now, "Set each event's @timestamp to the time it is sent (demos, latency measurement)")
      .positionals("files", o.files, "JSON-lines files of events (- for standard input)", true);
}

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int fail_usage(const std::string& msg) {
  std::fprintf(stderr, "socctl send: %s\n", msg.c_str());
  return config::kExitUsage;
}

// Where the input stands, as kept in the spool with each batch:
// "socctl-send 1 FILE_INDEX OFFSET LINE PATH" (PATH as resolved by realpath, or as given).
struct InputPosition {
  size_t file = 0;
  uint64_t offset = 0;
  uint64_t line = 0;
  std::string path;
};

std::string resolved(const std::string& path) {
  if (path == "-") return path;
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : path;
}

std::string format_position(const InputPosition& p) {
  return fmt::format("socctl-send 1 {} {} {} {}", p.file, p.offset, p.line, p.path);
}

std::optional<InputPosition> parse_position(const std::string& text) {
  std::istringstream in(text);
  std::string tag;
  int version = 0;
  InputPosition p;
  if (!(in >> tag >> version >> p.file >> p.offset >> p.line) || tag != "socctl-send" || version != 1) return std::nullopt;
  in >> std::ws;
  std::getline(in, p.path);
  if (p.path.empty()) return std::nullopt;
  return p;
}


// Where the spool's newest batch left the input, when it came from these files; the spool
// itself is resent first, in its own epochs. --loop extends `files` to reach the position.
std::optional<InputPosition> resume_position(transport::Sender& tx, const SendOptions& o,
                                             std::vector<std::string>& files) {
  const auto rec = tx.recovered_position();
  if (!rec || rec->text.empty()) return std::nullopt;
  auto resume = parse_position(rec->text);
  if (!resume) return std::nullopt;
  while (o.loop && resume->file >= files.size()) files.insert(files.end(), o.files.begin(), o.files.end());
  if (resume->file >= files.size() || resolved(files[resume->file]) != resume->path) {
    std::fprintf(stderr, "socctl send: the spool's events came from %s, not from these files: sending them from the start\n",
                 resume->path.c_str());
    return std::nullopt;
  }
  return resume;
}

// Decodes one input line into `event`; why it is not a valid event, or empty.
std::string decode_line(std::string_view line, bool truncated, Event& event) {
  if (truncated) return "line too long";
  if (auto err = decode_event_into(line, event)) return err->message();
  if (auto missing = missing_required_field(event)) return fmt::format("missing_field: no {}", *missing);
  return {};
}

// --rate: waits, servicing acknowledgements, until `due` (or a signal).
Result<void> wait_until(transport::Sender& tx, std::chrono::steady_clock::time_point due) {
  while (!g_stop) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= due) break;
    if (auto r = tx.poll(std::chrono::ceil<std::chrono::milliseconds>(due - now)); !r) return r;
  }
  return {};
}

// The exit status once everything was drained, and what to say about it: 1 when the spool's
// limits dropped events that never arrived, or lines were not valid events.
int report_delivery(const SendOptions& o, const transport::SenderStats& st, uint64_t sent, uint64_t invalid,
                    double secs) {
  // Batches dropped after they were sent can still arrive (they were in ZeroMQ's queue or TCP's):
  // their acknowledgement says so, and they are not missing.
  const uint64_t missing = st.events_dropped - std::min(st.events_dropped, st.events_dropped_delivered);
  if (missing > 0) {
    std::fprintf(stderr,
                 "socctl send: %llu events dropped by the spool's limits and never delivered (%llu dropped: %llu for "
                 "--spool-max-bytes, %llu for --spool-max-age, %llu for disk errors; %llu of them arrived anyway, sent "
                 "before they were dropped); %llu events acknowledged\n",
                 static_cast<unsigned long long>(missing), static_cast<unsigned long long>(st.events_dropped),
                 static_cast<unsigned long long>(st.events_dropped_full), static_cast<unsigned long long>(st.events_dropped_age),
                 static_cast<unsigned long long>(st.events_dropped_error),
                 static_cast<unsigned long long>(st.events_dropped_delivered), static_cast<unsigned long long>(st.events_acked));
    return 1;
  }
  if (invalid > 0) {
    std::fprintf(stderr, "socctl send: %llu lines were not valid events and were not sent; %llu events delivered\n",
                 static_cast<unsigned long long>(invalid), static_cast<unsigned long long>(sent));
    return 1;
  }
  if (!o.quiet) {
    const uint64_t recovered = st.spool ? st.spool_stats.events_recovered : 0;
    std::fprintf(stderr, "socctl send: %llu events delivered to %s and acknowledged in %.3f s (%llu batches, %llu resent%s)\n",
                 static_cast<unsigned long long>(sent), o.conn.connect.c_str(), secs,
                 static_cast<unsigned long long>(st.batches_sent), static_cast<unsigned long long>(st.batches_resent),
                 recovered ? fmt::format(", {} events from the spool of an earlier run", recovered).c_str() : "");
  }
  return 0;
}

}  // namespace

int run_send(const SendOptions& o) {
  if (o.batch < 1 || o.timeout_s < 1 || o.heartbeat_s < 1) return fail_usage("--batch, --timeout and --heartbeat must be positive");
  auto made = transport::sender_config(o.conn, "");
  if (!made) {
    if (made.error().code == "usage") return fail_usage(made.error().message);
    std::fprintf(stderr, "socctl send: %s\n", made.error().message.c_str());
    return config::kExitConfig;
  }
  transport::SenderConfig& sc = *made;
  sc.batch_max_events = static_cast<size_t>(o.batch);
  sc.stall_timeout = std::chrono::seconds(o.timeout_s);
  sc.heartbeat_interval = std::chrono::seconds(o.heartbeat_s);
  sc.fail_on_refusal = true;
  sc.interrupted = [] { return g_stop.load(); };
  tune_allocator_for_messages();
  auto sender = transport::Sender::connect(sc);
  if (!sender) {
    std::fprintf(stderr, "socctl send: %s\n", sender.error().message.c_str());
    return sender.error().code == "config" ? config::kExitConfig : 1;
  }
  auto& tx = **sender;
  if (o.loop || sc.spool) {  // a looping sender ends on a signal, after delivering what it sent
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
  }
  std::vector<std::string> files = o.files;
  const std::optional<InputPosition> resume = resume_position(tx, o, files);
  // The position after the last event handed to send(): a batch closed inside send() holds the
  // events before the one being sent.
  InputPosition at;
  tx.set_position_source([&] { return format_position(at); });
  const auto started = std::chrono::steady_clock::now();
  uint64_t invalid = 0, sent = 0;
  Event event;
  std::string stamped;
  for (size_t fi = resume ? resume->file : 0; fi < files.size() && !g_stop; ++fi) {
    const std::string path = files[fi];  // a copy: --loop appends to `files`
    if (o.loop && fi + 1 == files.size()) files.insert(files.end(), o.files.begin(), o.files.end());
    LineReader reader;
    if (auto r = reader.open(path); !r) {
      std::fprintf(stderr, "socctl send: %s\n", r.error().message.c_str());
      return 1;
    }
    at = InputPosition{fi, 0, 0, resolved(path)};
    if (resume && resume->file == fi) {
      if (!reader.resume_at(resume->offset, resume->line)) {
        std::fprintf(stderr, "socctl send: %s is shorter than when it was spooled (%llu bytes): nothing more to send from it\n",
                     path.c_str(), static_cast<unsigned long long>(resume->offset));
        continue;
      }
      if (!o.quiet && resume->offset > 0)
        std::fprintf(stderr, "socctl send: resuming %s after line %llu (the spool holds the lines before)\n", path.c_str(),
                     static_cast<unsigned long long>(resume->line));
    }
    std::string_view line;
    bool truncated;
    while (!g_stop && reader.next(line, truncated)) {
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      if (const std::string reason = decode_line(line, truncated, event); !reason.empty()) {
        if (++invalid <= 20) std::fprintf(stderr, "%s:%llu: %s\n", path.c_str(), static_cast<unsigned long long>(reader.line_number()), reason.c_str());
        continue;
      }
      std::string_view out = line;
      if (o.stamp_now) {
        event.set("@timestamp", soc::now());
        stamped.clear();
        encode_event(event, stamped);
        out = stamped;
      }
      if (auto r = tx.send(out); !r) {
        std::fprintf(stderr, "socctl send: %s\n", r.error().message.c_str());
        return 1;
      }
      at.offset = reader.offset();
      at.line = reader.line_number();
      ++sent;
      if (o.rate > 0) {
        const auto due = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(static_cast<double>(sent) / o.rate));
        if (auto r = wait_until(tx, due); !r) {
          std::fprintf(stderr, "socctl send: %s\n", r.error().message.c_str());
          return 1;
        }
      }
    }
    // The batch that holds this file's last lines records the position inside it.
    if (auto r = tx.flush(); !r) {
      std::fprintf(stderr, "socctl send: %s\n", r.error().message.c_str());
      return 1;
    }
    if (!reader.error().empty()) {
      std::fprintf(stderr, "socctl send: reading %s: %s\n", path.c_str(), reader.error().c_str());
      return 1;
    }
  }
  if (!o.quiet) {
    if (auto r = tx.flush(); r && tx.stats().events_unacked > 0)
      std::fprintf(stderr, "socctl send: %llu events read; waiting up to %lld s for the correlator to acknowledge %llu\n",
                   static_cast<unsigned long long>(sent), static_cast<long long>(o.timeout_s),
                   static_cast<unsigned long long>(tx.stats().events_unacked));
  }
  if (auto r = tx.drain(std::chrono::seconds(o.timeout_s)); !r) {
    std::fprintf(stderr, "socctl send: %s%s\n", r.error().message.c_str(),
                 sc.spool ? "; what was not acknowledged stays in the spool, for the next run" : "");
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report_delivery(o, tx.stats(), sent, invalid, secs);
}

}  // namespace soc::ctl
