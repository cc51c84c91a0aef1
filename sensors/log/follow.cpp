#include "sensors/log/follow.h"

#include <fmt/core.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

#include "core/config/command_line.h"
#include "core/systemd_notify.h"
#include "sensors/log/file_tailer.h"
#include "sensors/log/journal_reader.h"

namespace soc::sensors::log {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// The sensor's own counters, sent in each heartbeat: the decoder's and the inputs'. Absent
// inputs report nothing.
void fill_counters(Event& hb, const DecodeStats& d, const FileTailer* tailer, const SyslogListener* listener,
                   const JournalReader* journal) {
  auto n = [](uint64_t v) { return static_cast<int64_t>(v); };
  fill_decode_counters(hb, d);
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

// The inputs, the decoder and the checkpoint of one listen() run.
class Follower {
 public:
  Follower(const DecoderSet& set, const DecodeOptions& opt, const ListenOptions& lo, Sink& sink,
           const FollowOptions& follow)
      : lo_(lo),
        sink_(sink),
        follow_(follow),
        tailer_(follow.files, follow.checkpoint, lo.max_message, follow.start == "end"),
        decoder_(set, opt) {}

  // The checkpoint, the journal and the syslog sockets: an exit code when one cannot be used.
  std::optional<int> open();
  // Until SIGINT/SIGTERM.
  void run();
  // Delivers what is left (5 s at most), writes the last checkpoint, prints --stats.
  void finish();

 private:
  void report(const Result<void>& r) {
    if (!r && r.error().code != "interrupted" && ++send_errors_ <= 5)
      std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
  }
  void on_syslog(std::string_view msg, std::string_view peer, bool truncated) {
    decoder_.set_file_path({});
    if (!decoder_.decode(msg, truncated, event_)) return;
    event_.set("log.source.address", peer);
    report(sink_.put(event_));
  }
  void on_file_line(std::string_view line, const std::string& path, bool truncated) {
    decoder_.set_file_path(path);  // selects the decoders meant for this file (nginx by its path)
    if (!decoder_.decode(line, truncated, event_)) return;
    report(sink_.put(event_));
  }
  void on_journal(const JournalEntry& e);
  // Where the files and the journal stand after the last event handed over: each batch keeps it.
  std::string position() {
    if (journal_) tailer_.set_extra("journal", journal_done_);
    tailer_.set_extra("spool", "");
    return tailer_.checkpoint_text();
  }
  void checkpoint();
  void heartbeat(Event& hb) {
    fill_counters(hb, decoder_.stats(), follow_.files.empty() ? nullptr : &tailer_,
                  lo_.udp.empty() && lo_.tcp.empty() ? nullptr : &listener_, journal_.get());
  }
  void status();

  const ListenOptions& lo_;
  Sink& sink_;
  const FollowOptions& follow_;
  FileTailer tailer_;
  std::unique_ptr<JournalReader> journal_;
  SyslogListener listener_;
  LineDecoder decoder_;
  Event event_;
  SyslogHeader record_;
  // The cursor of the last journal entry handed over completely: a batch closed while an entry
  // is being handled holds the entries before it.
  std::string journal_done_;
  bool checkpointing_ = false;
  uint64_t send_errors_ = 0;
  std::pair<uint64_t, uint64_t> written_{0, 0};  // the batch the checkpoint file names
  std::chrono::steady_clock::time_point next_status_;
  const SyslogListener::Handler syslog_handler_ = [this](std::string_view m, std::string_view p, bool t) {
    on_syslog(m, p, t);
  };
  const FileTailer::Handler file_handler_ = [this](std::string_view l, const std::string& p, bool t) {
    on_file_line(l, p, t);
  };
  const JournalReader::Handler journal_handler_ = [this](const JournalEntry& e) { on_journal(e); };
};

std::optional<int> Follower::open() {
  if (auto r = tailer_.load_checkpoint(); !r) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
    return config::kExitConfig;
  }
  resume_from_spool(tailer_, sink_, follow_);
  journal_done_ = tailer_.extra("journal");
  if (follow_.journal) {
    auto j = open_journal(follow_, journal_done_, lo_.max_message);
    if (!j) {
      std::fprintf(stderr, "soc-log-sensor: %s\n", j.error().message.c_str());
      return j.error().code == "usage" ? config::kExitUsage : config::kExitConfig;
    }
    journal_ = std::move(*j);
  }
  checkpointing_ = !follow_.files.empty() || journal_;
  listener_.set_limits(lo_.max_message, lo_.tcp_limits.max_connections);
  listener_.set_tcp_limits(lo_.tcp_limits);
  for (const auto& [addr, is_udp] : {std::pair{&lo_.udp, true}, std::pair{&lo_.tcp, false}}) {
    if (addr->empty()) continue;
    auto r = is_udp ? listener_.listen_udp(*addr) : listener_.listen_tcp(*addr);
    if (!r) {
      // An address that cannot be used is a configuration problem: 78, which systemd does not restart.
      std::fprintf(stderr, "soc-log-sensor: --syslog-%s: %s\n", is_udp ? "udp" : "tcp", r.error().message.c_str());
      return config::kExitConfig;
    }
  }
  sink_.on_heartbeat([this](Event& hb) { heartbeat(hb); });
  if (checkpointing_ && sink_.sender()) sink_.sender()->set_position_source([this] { return position(); });
  return std::nullopt;
}

void Follower::on_journal(const JournalEntry& e) {
  record_ = SyslogHeader{};
  record_.priority = e.priority;
  record_.severity = e.severity;
  record_.timestamp = e.timestamp;
  record_.hostname = e.hostname;
  record_.program = e.identifier;
  record_.pid = e.pid;
  record_.message = e.message;
  decoder_.set_file_path({});
  if (decoder_.decode_record(record_, e.truncated, event_)) report(sink_.put(event_));
  journal_done_ = journal_->cursor();
}

void Follower::checkpoint() {
  Result<void> r;
  if (sink_.sender()) {
    const auto safe = sink_.sender()->safe_position();
    if (safe.epoch == 0 || std::pair{safe.epoch, safe.end} == written_) return;
    // With a spool, the line naming the batch lets a restart compare the file with the spool.
    r = tailer_.write_checkpoint(sink_.spooled() ? safe.text + fmt::format("spool {} {}\n", safe.epoch, safe.end)
                                                 : safe.text);
    if (r) written_ = {safe.epoch, safe.end};
  } else {
    if (journal_) tailer_.set_extra("journal", journal_->cursor());
    r = tailer_.save_checkpoint();
  }
  if (!r && ++send_errors_ <= 5) std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
}

void Follower::status() {
  systemd::notify_status(fmt::format("{} lines read, {} events, {} syslog TCP connections open",
                                     decoder_.stats().lines, decoder_.stats().events,
                                     listener_.stats().open_connections));
}

void Follower::run() {
  // The first scan happens before "listening": files present now are those found at start.
  if (!follow_.files.empty()) tailer_.poll(file_handler_);
  std::fprintf(stderr, "soc-log-sensor: listening (udp port %d, tcp port %d)\n", listener_.udp_port(),
               listener_.tcp_port());
  systemd::notify_ready(fmt::format("following {} files, syslog udp port {}, tcp port {}{}", tailer_.files_followed(),
                                    listener_.udp_port(), listener_.tcp_port(), journal_ ? ", the journal" : ""));
  auto last_checkpoint = std::chrono::steady_clock::now();
  next_status_ = last_checkpoint + std::chrono::seconds(10);
  bool journal_backlog = false;
  while (!g_stop) {
    systemd::watchdog_ping();
    // Wait for input, the correlator's answers or the sender's next deadline (the flush
    // deadline of a batch that is filling, a heartbeat), whichever comes first.
    const int wait = sink_.wait_ms(journal_backlog ? 0 : sink_.to_correlator() ? 50 : 200);
    if (!listener_.poll_once(wait, syslog_handler_, sink_.wake_fds())) break;
    if (!follow_.files.empty()) tailer_.poll(file_handler_);
    // A bounded batch per turn, so a long backlog does not starve the other inputs.
    if (journal_) journal_backlog = journal_->poll(journal_handler_, 4096) == 4096;
    report(sink_.service());
    const auto now = std::chrono::steady_clock::now();
    if (checkpointing_ && now - last_checkpoint >= std::chrono::seconds(1) &&
        (sink_.to_correlator() || sink_.all_written())) {
      checkpoint();
      last_checkpoint = now;
    }
    if (now >= next_status_) {
      next_status_ = now + std::chrono::seconds(10);
      status();
    }
  }
}

void Follower::finish() {
  systemd::notify_stopping();
  const auto finished = sink_.finish(std::chrono::seconds(5));
  if (!finished)
    std::fprintf(stderr, "soc-log-sensor: not every event was acknowledged before exit: %s%s\n",
                 finished.error().message.c_str(),
                 !sink_.to_correlator() ? ""
                 : sink_.spooled()      ? " (they stay in the spool and are sent after a restart)"
                                        : " (the checkpoint stays before them: they are read again after a restart)");
  if (checkpointing_ && (finished || sink_.to_correlator())) checkpoint();
  // The sender outlives this object: it must no longer call into it.
  if (sink_.sender()) sink_.sender()->set_position_source({});
  sink_.on_heartbeat({});
  if (lo_.stats) print_listen_stats(decoder_.stats(), tailer_.stats(), listener_.stats(), journal_.get());
}

}  // namespace

bool stop_requested() { return g_stop.load(); }

void fill_decode_counters(Event& hb, const DecodeStats& d) {
  auto n = [](uint64_t v) { return static_cast<int64_t>(v); };
  hb.set("soc.sensor.log_lines_read", n(d.lines));
  hb.set("soc.sensor.log_events", n(d.events));
  hb.set("soc.sensor.log_lines_truncated", n(d.truncated));
  hb.set("soc.sensor.log_invalid_utf8", n(d.invalid_utf8));
  hb.set("soc.sensor.log_decode_fallbacks", n(d.generic));
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

int listen(const DecoderSet& set, DecodeOptions opt, const ListenOptions& lo, Sink& sink, const FollowOptions& follow) {
  opt.file_path.clear();
  Follower follower(set, opt, lo, sink, follow);
  if (auto code = follower.open()) return *code;
  install_stop_signals();
  follower.run();
  follower.finish();
  return 0;
}

}  // namespace soc::sensors::log
