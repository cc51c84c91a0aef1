// soc-log-sensor: turns log lines into ECS events. --read FILE decodes a file (one JSON object
// per informative line on stdout, exit 0 at its end); --file GLOB follows files, --syslog-udp and
// --syslog-tcp receive syslog, until SIGINT/SIGTERM; --connect sends the events to the correlator
// instead of stdout (docs/adr/0007-log-sensor.md).
#include <fmt/core.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/command_line.h"
#include "core/event.h"
#include "core/json_codec.h"
#include "core/line_reader.h"
#include "core/systemd_notify.h"
#include "core/transport/connect_options.h"
#include "core/transport/sender.h"
#include "sensors/log/decoder.h"
#include "sensors/log/file_tailer.h"
#include "sensors/log/journal_reader.h"
#include "sensors/log/syslog_listener.h"

namespace {

using namespace soc;
using namespace soc::sensors::log;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int config_error(const std::string& message) {
  std::fprintf(stderr, "soc-log-sensor: %s\n", message.c_str());
  return config::kExitConfig;
}

void print_stats(const DecodeStats& s) {
  std::fprintf(stderr,
               "soc-log-sensor: lines=%llu events=%llu skipped=%llu generic=%llu truncated=%llu invalid_utf8=%llu "
               "nul_bytes=%llu bad_values=%llu\n",
               static_cast<unsigned long long>(s.lines), static_cast<unsigned long long>(s.events),
               static_cast<unsigned long long>(s.skipped), static_cast<unsigned long long>(s.generic),
               static_cast<unsigned long long>(s.truncated), static_cast<unsigned long long>(s.invalid_utf8),
               static_cast<unsigned long long>(s.nul_bytes), static_cast<unsigned long long>(s.bad_values));
  for (const auto& [name, n] : s.by_decoder)
    std::fprintf(stderr, "soc-log-sensor:   %s=%llu\n", name.c_str(), static_cast<unsigned long long>(n));
}

// Where events go: JSON lines on stdout, or the correlator through the transport (at least once,
// with the sender's bounded window or spool, and heartbeats).
class Sink {
 public:
  Result<void> open(const transport::ConnectOptions& c, int64_t heartbeat_s) {
    if (c.connect.empty()) return {};
    auto made = transport::sender_config(c, "with --connect");
    if (!made) return fail(made.error());
    transport::SenderConfig& sc = *made;
    sc.fail_on_refusal = false;  // a daemon keeps trying; refusals are logged by the sender
    sc.heartbeat_interval = std::chrono::seconds(heartbeat_s);
    // SIGTERM ends a wait for room (a full spool under --spool-full block, a correlator away).
    sc.interrupted = [] { return g_stop.load(); };
    auto sender = transport::Sender::connect(sc);
    if (!sender) return fail(sender.error().code == "usage" ? "usage" : "config", sender.error().message);
    sender_ = std::move(*sender);
    wake_fds_ = sender_->wait_fds();
    return {};
  }
  bool to_correlator() const { return sender_ != nullptr; }
  transport::Sender* sender() { return sender_.get(); }
  // Adds the sensor's counters to each heartbeat (nothing without --connect).
  void on_heartbeat(std::function<void(Event&)> fill) {
    if (sender_) sender_->on_heartbeat(std::move(fill));
  }
  // True when every event put so far is written to stdout (stdout only).
  bool all_written() const { return out_.empty(); }

  // Takes one event; stdout output is buffered until service().
  Result<void> put(const Event& e) {
    line_.clear();
    encode_event(e, line_);
    if (sender_) return sender_->send(line_);
    out_ += line_;
    out_.push_back('\n');
    if (out_.size() >= (1 << 16)) flush_stdout();
    return {};
  }
  // Acks, the flush deadline, heartbeats; never waits.
  Result<void> service() {
    flush_stdout();
    if (!sender_) return {};
    return sender_->poll(std::chrono::milliseconds(0));
  }
  // How long the main loop may wait for input (at most `max_ms`) before the sender has
  // something to do; and the descriptors that end the wait when the correlator answers.
  int wait_ms(int max_ms) {
    if (!sender_ || max_ms == 0) return max_ms;
    const auto left = sender_->next_deadline() - std::chrono::steady_clock::now();
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::clamp<int64_t>(ms, 0, max_ms));
  }
  const std::vector<int>& wake_fds() const { return wake_fds_; }
  Result<void> finish(std::chrono::milliseconds timeout) {
    flush_stdout();
    if (!sender_) return {};
    return sender_->drain(timeout);
  }

 private:
  void flush_stdout() {
    if (out_.empty()) return;
    std::fwrite(out_.data(), 1, out_.size(), stdout);
    std::fflush(stdout);
    out_.clear();
  }
  std::unique_ptr<transport::Sender> sender_;
  std::vector<int> wake_fds_;
  std::string line_, out_;
};

bool conn_has_spool(Sink& sink) { return sink.sender() && sink.sender()->stats().spool; }

struct FollowOptions {
  std::vector<std::string> files;
  std::string checkpoint;
  std::string start = "end";
  bool journal = false;
  std::string journal_dir;
  std::vector<std::string> journal_matches;
  std::string journal_start = "end";
};

// The sensor's own counters, sent in each heartbeat (the correlator exports them as
// soc_sensor_<name>_total, docs/metrics.md). Absent inputs report nothing.
void fill_counters(Event& hb, const DecodeStats& d, const FileTailer* tailer, const SyslogListener* listener,
                   const JournalReader* journal) {
  auto n = [](uint64_t v) { return static_cast<int64_t>(v); };
  hb.set("soc.sensor.log_lines_read", n(d.lines));
  hb.set("soc.sensor.log_events", n(d.events));
  hb.set("soc.sensor.log_lines_truncated", n(d.truncated));
  hb.set("soc.sensor.log_invalid_utf8", n(d.invalid_utf8));
  hb.set("soc.sensor.log_decode_fallbacks", n(d.generic));
  if (tailer) hb.set("soc.sensor.log_files_followed", static_cast<int64_t>(tailer->files_followed()));
  if (listener) {
    const auto& ls = listener->stats();
    hb.set("soc.sensor.syslog_udp_messages", n(ls.udp_messages));
    hb.set("soc.sensor.syslog_tcp_messages", n(ls.tcp_messages));
    hb.set("soc.sensor.syslog_tcp_connections", n(ls.open_connections));
    hb.set("soc.sensor.syslog_tcp_refused", n(ls.refused_connections));
    hb.set("soc.sensor.syslog_tcp_closed_idle", n(ls.closed_idle + ls.evicted_idle));
  }
  if (journal) hb.set("soc.sensor.journal_entries", n(journal->stats().entries));
}

// The checkpoint file's "spool EPOCH END" line: the batch whose position the file holds.
std::pair<uint64_t, uint64_t> checkpoint_mark(const FileTailer& t) {
  unsigned long long epoch = 0, end = 0;
  if (std::sscanf(t.extra("spool").c_str(), "%llu %llu", &epoch, &end) != 2) return {0, 0};
  return {epoch, end};
}

// The spool's newest batch is newer than the checkpoint file after a crash between two
// checkpoint writes: its position is the truth (ADR 0018: recover from the data).
void resume_from_spool(FileTailer& tailer, Sink& sink, const FollowOptions& follow) {
  if (!sink.sender()) return;
  const auto rec = sink.sender()->recovered_position();
  if (!rec || rec->text.empty()) return;
  const auto [epoch, end] = checkpoint_mark(tailer);
  if (rec->epoch > epoch || (rec->epoch == epoch && rec->end > end)) {
    tailer.load_checkpoint_text(rec->text);
    std::fprintf(stderr, "soc-log-sensor: resuming after the newest spooled batch (newer than %s)\n",
                 follow.checkpoint.empty() ? "no checkpoint" : follow.checkpoint.c_str());
  }
}

// --journal: the reader, from the checkpoint's cursor when there is one.
Result<std::unique_ptr<JournalReader>> open_journal(const FollowOptions& follow, const std::string& cursor,
                                                    size_t max_message) {
  JournalOptions jo;
  jo.directory = follow.journal_dir;
  jo.matches = follow.journal_matches;
  jo.cursor = cursor;
  jo.start_at_end = follow.journal_start == "end";
  jo.max_message_bytes = max_message;
  return JournalReader::open(jo);
}

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// --stats at exit: the decoder's, the files', the syslog listener's and the journal's counters.
void print_listen_stats(const DecodeStats& decoded, const TailerStats& ts, const ListenerStats& ls,
                        const JournalReader* journal) {
  print_stats(decoded);
  std::fprintf(stderr,
               "soc-log-sensor: file_lines=%llu rotations=%llu truncations=%llu hole_bytes_skipped=%llu "
               "rotated_finished=%llu\n",
               static_cast<unsigned long long>(ts.lines), static_cast<unsigned long long>(ts.rotations),
               static_cast<unsigned long long>(ts.truncations), static_cast<unsigned long long>(ts.hole_bytes_skipped),
               static_cast<unsigned long long>(ts.rotated_finished));
  std::fprintf(stderr,
               "soc-log-sensor: udp_messages=%llu tcp_messages=%llu tcp_connections=%llu tcp_refused=%llu "
               "tcp_refused_per_source=%llu tcp_refused_full=%llu tcp_closed_idle=%llu tcp_evicted_idle=%llu\n",
               static_cast<unsigned long long>(ls.udp_messages), static_cast<unsigned long long>(ls.tcp_messages),
               static_cast<unsigned long long>(ls.tcp_connections),
               static_cast<unsigned long long>(ls.refused_connections),
               static_cast<unsigned long long>(ls.refused_per_source), static_cast<unsigned long long>(ls.refused_full),
               static_cast<unsigned long long>(ls.closed_idle), static_cast<unsigned long long>(ls.evicted_idle));
  if (journal)
    std::fprintf(stderr, "soc-log-sensor: journal_entries=%llu journal_without_message=%llu journal_read_errors=%llu\n",
                 static_cast<unsigned long long>(journal->stats().entries),
                 static_cast<unsigned long long>(journal->stats().without_message),
                 static_cast<unsigned long long>(journal->stats().read_errors));
}

// Follows files and receives syslog until SIGINT/SIGTERM, each line decoded like --read, to the
// sink. The checkpoint holds where to resume: on stdout, the lines written (at most once a
// second, and at exit); to the correlator, the position of the newest batch such that every
// batch up to it is acknowledged, or spooled (--spool), written as acknowledgements arrive (at
// most once a second) and at exit. A restart neither repeats what the correlator acknowledged
// or the spool holds, nor skips what it does not.
int listen(const DecoderSet& set, DecodeOptions opt, const std::string& udp, const std::string& tcp,
           const TcpLimits& tcp_limits, size_t max_message, bool stats, Sink& sink, const FollowOptions& follow) {
  FileTailer tailer(follow.files, follow.checkpoint, max_message, follow.start == "end");
  if (auto r = tailer.load_checkpoint(); !r) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
    return config::kExitConfig;
  }
  resume_from_spool(tailer, sink, follow);
  std::unique_ptr<JournalReader> journal;
  if (follow.journal) {
    auto j = open_journal(follow, tailer.extra("journal"), max_message);
    if (!j) {
      std::fprintf(stderr, "soc-log-sensor: %s\n", j.error().message.c_str());
      return j.error().code == "usage" ? config::kExitUsage : config::kExitConfig;
    }
    journal = std::move(*j);
  }
  const bool checkpointing = !follow.files.empty() || journal;
  SyslogListener listener;
  listener.set_limits(max_message, tcp_limits.max_connections);
  listener.set_tcp_limits(tcp_limits);
  for (const auto& [addr, is_udp] : {std::pair{udp, true}, std::pair{tcp, false}}) {
    if (addr.empty()) continue;
    auto r = is_udp ? listener.listen_udp(addr) : listener.listen_tcp(addr);
    if (!r) {
      // An address that cannot be used is a configuration problem: 78, which systemd does not restart.
      std::fprintf(stderr, "soc-log-sensor: --syslog-%s: %s\n", is_udp ? "udp" : "tcp", r.error().message.c_str());
      return config::kExitConfig;
    }
  }
  install_stop_signals();
  opt.file_path.clear();
  LineDecoder decoder(set, opt);
  Event event;
  uint64_t send_errors = 0;
  auto report = [&](const Result<void>& r) {
    if (!r && r.error().code != "interrupted" && ++send_errors <= 5)
      std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
  };
  auto handle = [&](std::string_view msg, std::string_view peer, bool truncated) {
    decoder.set_file_path({});
    if (!decoder.decode(msg, truncated, event)) return;
    event.set("log.source.address", peer);
    report(sink.put(event));
  };
  auto handle_file = [&](std::string_view line, const std::string& path, bool truncated) {
    decoder.set_file_path(path);  // selects the decoders meant for this file (nginx by its path)
    if (!decoder.decode(line, truncated, event)) return;
    report(sink.put(event));
  };
  SyslogHeader record;
  // The cursor of the last journal entry handed over completely: a batch closed while an entry
  // is being handled holds the entries before it.
  std::string journal_done = tailer.extra("journal");
  auto handle_journal = [&](const JournalEntry& e) {
    record = SyslogHeader{};
    record.priority = e.priority;
    record.severity = e.severity;
    record.timestamp = e.timestamp;
    record.hostname = e.hostname;
    record.program = e.identifier;
    record.pid = e.pid;
    record.message = e.message;
    decoder.set_file_path({});
    if (decoder.decode_record(record, e.truncated, event)) report(sink.put(event));
    journal_done = journal->cursor();
  };
  sink.on_heartbeat([&](Event& hb) {
    fill_counters(hb, decoder.stats(), follow.files.empty() ? nullptr : &tailer,
                  udp.empty() && tcp.empty() ? nullptr : &listener, journal.get());
  });
  // Each batch remembers where the files and the journal stood after its last event.
  auto position = [&] {
    if (journal) tailer.set_extra("journal", journal_done);
    tailer.set_extra("spool", "");
    return tailer.checkpoint_text();
  };
  if (checkpointing && sink.sender()) sink.sender()->set_position_source(position);
  auto last_checkpoint = std::chrono::steady_clock::now();
  std::pair<uint64_t, uint64_t> written{0, 0};
  auto checkpoint = [&] {
    Result<void> r;
    if (sink.sender()) {
      const auto safe = sink.sender()->safe_position();
      if (safe.epoch == 0 || std::pair{safe.epoch, safe.end} == written) return;
      // With a spool, the line naming the batch lets a restart compare the file with the spool.
      const bool spooled = sink.sender()->stats().spool;
      r = tailer.write_checkpoint(spooled ? safe.text + fmt::format("spool {} {}\n", safe.epoch, safe.end) : safe.text);
      if (r) written = {safe.epoch, safe.end};
    } else {
      if (journal) tailer.set_extra("journal", journal->cursor());
      r = tailer.save_checkpoint();
    }
    if (!r && ++send_errors <= 5) std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
  };
  // The first scan happens before "listening": files present now are those found at start.
  if (!follow.files.empty()) tailer.poll(handle_file);
  std::fprintf(stderr, "soc-log-sensor: listening (udp port %d, tcp port %d)\n", listener.udp_port(),
               listener.tcp_port());
  systemd::notify_ready(fmt::format("following {} files, syslog udp port {}, tcp port {}{}", tailer.files_followed(),
                                    listener.udp_port(), listener.tcp_port(), journal ? ", the journal" : ""));
  auto next_status = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool journal_backlog = false;
  while (!g_stop) {
    systemd::watchdog_ping();
    // Wait for input, the correlator's answers or the sender's next deadline (the flush
    // deadline of a batch that is filling, a heartbeat), whichever comes first.
    const int wait = sink.wait_ms(journal_backlog ? 0 : sink.to_correlator() ? 50 : 200);
    if (!listener.poll_once(wait, handle, sink.wake_fds())) break;
    if (!follow.files.empty()) tailer.poll(handle_file);
    // A bounded batch per turn, so a long backlog does not starve the other inputs.
    if (journal) journal_backlog = journal->poll(handle_journal, 4096) == 4096;
    report(sink.service());
    const auto now = std::chrono::steady_clock::now();
    if (checkpointing && now - last_checkpoint >= std::chrono::seconds(1) && (sink.to_correlator() || sink.all_written())) {
      checkpoint();
      last_checkpoint = now;
    }
    if (now >= next_status) {
      next_status = now + std::chrono::seconds(10);
      systemd::notify_status(fmt::format("{} lines read, {} events, {} syslog TCP connections open",
                                         decoder.stats().lines, decoder.stats().events,
                                         listener.stats().open_connections));
    }
  }
  systemd::notify_stopping();
  const auto stop_counters = [&] { sink.on_heartbeat({}); };  // they refer to this function's locals
  const auto finished = sink.finish(std::chrono::seconds(5));
  if (!finished)
    std::fprintf(stderr, "soc-log-sensor: not every event was acknowledged before exit: %s%s\n",
                 finished.error().message.c_str(),
                 !sink.to_correlator() ? ""
                 : conn_has_spool(sink) ? " (they stay in the spool and are sent after a restart)"
                                        : " (the checkpoint stays before them: they are read again after a restart)");
  if (checkpointing && (finished || sink.to_correlator())) checkpoint();
  if (sink.sender()) sink.sender()->set_position_source({});
  stop_counters();
  if (stats) print_listen_stats(decoder.stats(), tailer.stats(), listener.stats(), journal.get());
  return 0;
}

// The body of main() (run_main reports what escapes it).
int main_body(int argc, char** argv) {
  std::string read;
  std::string format = "auto";
  std::string timezone = "UTC";
  std::string builtin;
  std::vector<std::string> decoder_files;
  bool no_builtin = false;
  bool stats = false;
  bool check = false;
  int64_t max_line_bytes = 64 * 1024;
  std::string syslog_udp, syslog_tcp;
  transport::ConnectOptions conn;
  int64_t heartbeat_s = 10;
  FollowOptions follow;
  int64_t tcp_max_connections = 512, tcp_max_per_source = 32;
  double tcp_idle_timeout_s = 300;

  config::CommandLine cli("soc-log-sensor",
                          "The log sensor: decodes log lines (syslog RFC 3164/5424, sshd, sudo, su, PAM, dropbear, "
                          "FTP and mail servers, iptables/nftables, nginx and Apache, JSON lines) into ECS events.");
  cli.root()
      .option("read", read, "Offline mode: decode FILE (- for standard input), print one JSON event per line, exit 0")
      .option("format", format, "auto, syslog, json, or a decoder format (nginx, apache, sshd, iptables, ...)")
      .option("timezone", timezone, "Zone of timestamps that carry none: UTC, local, or an offset like +07:00")
      .option("decoders", decoder_files, "Extra decoder YAML file or directory (repeatable), tried before the built-in ones")
      .option("builtin-decoders", builtin, "Directory of the built-in decoders (default: found next to the program)")
      .flag("no-builtin-decoders", no_builtin, "Use only the --decoders files")
      .flag("check-decoders", check, "Load the decoders, report problems with file:line:column, and exit")
      .option("file", follow.files, "Follow files matching this glob like tail -F (repeatable; rotation and truncation handled)")
      .option("checkpoint", follow.checkpoint, "File keeping the read position of each followed file across restarts")
      .option("file-start", follow.start, "Where to start in files found at the first scan that the checkpoint does not know: end or beginning")
      .flag("journal", follow.journal, "Read the systemd journal (entries decoded like syslog lines; cursor kept in --checkpoint)")
      .option("journal-dir", follow.journal_dir, "With --journal: read the journal files of this directory instead of the local journal")
      .option("journal-match", follow.journal_matches, "With --journal: only entries with FIELD=VALUE (repeatable; the same field ORed, different fields ANDed)")
      .option("journal-start", follow.journal_start, "With --journal and no checkpointed cursor: end (new entries only) or beginning")
      .option("syslog-udp", syslog_udp, "Receive syslog on UDP ADDR:PORT and print the events (until SIGINT/SIGTERM)")
      .option("syslog-tcp", syslog_tcp, "Receive syslog on TCP ADDR:PORT (RFC 6587 octet counting or newline framing)")
      .option("syslog-tcp-max-connections", tcp_max_connections,
              "Most syslog TCP connections open at once; when full, the longest-silent one makes room")
      .option("syslog-tcp-max-per-source", tcp_max_per_source, "Most syslog TCP connections from one address")
      .option("syslog-tcp-idle-timeout", tcp_idle_timeout_s, "Seconds after which a silent syslog TCP connection is closed")
      .option("heartbeat", heartbeat_s, "With --connect: seconds between heartbeats (they carry the sensor's counters)")
      .option("max-line-bytes", max_line_bytes, "Longer lines are cut to this length, decoded, and counted")
      .flag("stats", stats, "Print counters (lines, events, truncated, invalid UTF-8, ...) to stderr at the end");
  transport::add_connect_options(cli.root(), conn, "Send events to the correlator at this ZeroMQ endpoint instead of stdout");
  if (auto code = cli.parse(argc, argv)) return *code;
  // A missing value is a usage error (2) on the command line, and a configuration error (78,
  // which systemd does not restart) when a --config file was read: it may be missing from it.
  const int usage_code = cli.root().config_path().empty() ? config::kExitUsage : config::kExitConfig;

  DecodeOptions opt;
  opt.format = format;
  opt.time.reference = now();
  if (!parse_timezone(timezone, opt.time)) return config_error("--timezone must be UTC, local or an offset like +07:00");
  if (max_line_bytes < 256 || max_line_bytes > (64 << 20)) return config_error("--max-line-bytes must be 256 .. 64 MiB");

  DecoderSet set;
  std::vector<Diagnostic> diags;
  bool ok = true;
  for (const auto& f : decoder_files) {
    std::error_code ec;
    ok = (std::filesystem::is_directory(f, ec) ? set.load_directory(f, diags) : set.load_file(f, diags)) && ok;
  }
  if (!no_builtin) ok = set.load_directory(builtin.empty() ? find_builtin_decoders() : builtin, diags) && ok;
  if (!diags.empty()) std::fputs(render_all(diags).c_str(), stderr);
  if (!ok) return config::kExitConfig;
  if (check) {
    std::printf("%zu decoders loaded\n", set.decoders().size());
    return 0;
  }
  if (format != "auto" && format != "syslog" && format != "json" && !set.knows_format(format))
    return config_error(fmt::format("unknown --format '{}'", format));
  if (follow.start != "end" && follow.start != "beginning") return config_error("--file-start must be end or beginning");
  if (follow.journal_start != "end" && follow.journal_start != "beginning")
    return config_error("--journal-start must be end or beginning");
  if (heartbeat_s < 1 || heartbeat_s > 3600) return config_error("--heartbeat must be 1 .. 3600 seconds");
  if (tcp_max_connections < 1 || tcp_max_connections > 65536)
    return config_error("--syslog-tcp-max-connections must be 1 .. 65536");
  if (tcp_max_per_source < 1 || tcp_max_per_source > tcp_max_connections)
    return config_error("--syslog-tcp-max-per-source must be 1 .. --syslog-tcp-max-connections");
  if (!(tcp_idle_timeout_s >= 1 && tcp_idle_timeout_s <= 86400))
    return config_error("--syslog-tcp-idle-timeout must be 1 .. 86400 seconds");
  TcpLimits tcp_limits;
  tcp_limits.max_connections = static_cast<size_t>(tcp_max_connections);
  tcp_limits.max_per_source = static_cast<size_t>(tcp_max_per_source);
  tcp_limits.idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(tcp_idle_timeout_s * 1000));
  if (!follow.journal && (!follow.journal_dir.empty() || !follow.journal_matches.empty()))
    return config_error("--journal-dir and --journal-match need --journal");
  if (read.empty() && syslog_udp.empty() && syslog_tcp.empty() && follow.files.empty() && !follow.journal) {
    std::fprintf(stderr, "soc-log-sensor: nothing to do: give --read FILE, --file GLOB, --journal, --syslog-udp or --syslog-tcp\n");
    return usage_code;
  }
  Sink sink;
  if (auto r = sink.open(conn, heartbeat_s); !r) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
    return r.error().code == "usage" ? usage_code : config::kExitConfig;
  }
  if (read.empty())
    return listen(set, opt, syslog_udp, syslog_tcp, tcp_limits, static_cast<size_t>(max_line_bytes), stats, sink, follow);

  LineReader reader;
  if (auto r = reader.open(read, static_cast<size_t>(max_line_bytes)); !r) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
    return 1;
  }
  opt.file_path = read == "-" ? std::string() : read;
  LineDecoder decoder(set, opt);
  sink.on_heartbeat([&](Event& hb) { fill_counters(hb, decoder.stats(), nullptr, nullptr, nullptr); });
  Event event;
  std::string_view line;
  bool truncated = false;
  while (reader.next(line, truncated)) {
    if (!decoder.decode(line, truncated, event)) continue;
    if (auto r = sink.put(event); !r) {
      sink.on_heartbeat({});
      std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  const auto delivered = sink.finish(std::chrono::seconds(30));
  sink.on_heartbeat({});  // the counters refer to the decoder, gone before the sink
  if (!delivered) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", delivered.error().message.c_str());
    return 1;
  }
  if (stats) print_stats(decoder.stats());
  if (!reader.error().empty()) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", reader.error().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return soc::config::run_main("soc-log-sensor", main_body, argc, argv); }
