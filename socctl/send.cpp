// socctl send: publishes events from JSON-lines files through the real transport, as a sensor
// would. Exits 0 once the correlator has acknowledged every event; 1 with the reason otherwise
// (lines that are not valid events are reported as FILE:LINE, skipped, and make the exit 1 after
// the valid ones were delivered).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "core/allocator.h"
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
      .positionals("files", o.files, "JSON-lines files of events (- for standard input)", true);
}

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int fail_usage(const std::string& msg) {
  std::fprintf(stderr, "socctl send: %s\n", msg.c_str());
  return config::kExitUsage;
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
  tune_allocator_for_messages();
  auto sender = transport::Sender::connect(sc);
  if (!sender) {
    std::fprintf(stderr, "socctl send: %s\n", sender.error().message.c_str());
    return 1;
  }
  auto& tx = **sender;
  if (o.loop) {  // a looping sender ends on a signal, after delivering what it sent
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
  }
  const auto started = std::chrono::steady_clock::now();
  uint64_t invalid = 0, sent = 0;
  Event event;
  std::vector<std::string> files = o.files;
  for (size_t fi = 0; fi < files.size() && !g_stop; ++fi) {
    const std::string path = files[fi];  // a copy: --loop appends to `files`
    if (o.loop && fi + 1 == files.size()) files.insert(files.end(), o.files.begin(), o.files.end());
    LineReader reader;
    if (auto r = reader.open(path); !r) {
      std::fprintf(stderr, "socctl send: %s\n", r.error().message.c_str());
      return 1;
    }
    std::string_view line;
    bool truncated;
    while (!g_stop && reader.next(line, truncated)) {
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      std::string reason;
      if (truncated) {
        reason = "line too long";
      } else if (auto err = decode_event_into(line, event)) {
        reason = err->message();
      } else if (auto missing = missing_required_field(event)) {
        reason = fmt::format("missing_field: no {}", *missing);
      }
      if (!reason.empty()) {
        if (++invalid <= 20) std::fprintf(stderr, "%s:%llu: %s\n", path.c_str(), static_cast<unsigned long long>(reader.line_number()), reason.c_str());
        continue;
      }
      if (auto r = tx.send(line); !r) {
        std::fprintf(stderr, "socctl send: %s\n", r.error().message.c_str());
        return 1;
      }
      ++sent;
      if (o.rate > 0) {  // pace: wait (servicing acks) until this event is due
        const auto due = started + std::chrono::duration<double>(static_cast<double>(sent) / o.rate);
        while (!g_stop) {
          const auto now = std::chrono::steady_clock::now();
          if (now >= due) break;
          if (auto r = tx.poll(std::chrono::duration_cast<std::chrono::milliseconds>(due - now) +
                               std::chrono::milliseconds(1));
              !r) {
            std::fprintf(stderr, "socctl send: %s\n", r.error().message.c_str());
            return 1;
          }
        }
      }
    }
    if (!reader.error().empty()) {
      std::fprintf(stderr, "socctl send: reading %s: %s\n", path.c_str(), reader.error().c_str());
      return 1;
    }
  }
  if (auto r = tx.drain(std::chrono::seconds(o.timeout_s)); !r) {
    std::fprintf(stderr, "socctl send: %s\n", r.error().message.c_str());
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto st = tx.stats();
  if (invalid > 0) {
    std::fprintf(stderr, "socctl send: %llu lines were not valid events and were not sent; %llu events delivered\n",
                 static_cast<unsigned long long>(invalid), static_cast<unsigned long long>(sent));
    return 1;
  }
  if (!o.quiet) {
    std::fprintf(stderr, "socctl send: %llu events delivered to %s and acknowledged in %.3f s (%llu batches, %llu resent)\n",
                 static_cast<unsigned long long>(sent), o.conn.connect.c_str(), secs,
                 static_cast<unsigned long long>(st.batches_sent), static_cast<unsigned long long>(st.batches_resent));
  }
  return 0;
}

}  // namespace soc::ctl
