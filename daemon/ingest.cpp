#include "daemon/ingest.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

#include "core/clock.h"
#include "core/log.h"
#include "daemon/alert_output.h"

namespace soc::daemon {

namespace {
constexpr const char* kWireReasons[] = {"frame_count", "bad_header", "bad_version", "bad_type", "too_large",
                                        "count_mismatch", "unknown_key", "sensor_mismatch", "site_mismatch",
                                        "too_many_sensors"};
// Heartbeats kept per sensor for its clock offset (the estimate is the largest of them).
constexpr size_t kOffsetSamples = 8;
const char* const kWriteErrorsHelp =
    "Writes of an output that failed (disk full, I/O error); the data is kept and written again, and what it "
    "belongs to is not acknowledged meanwhile.";
}  // namespace

Ingest::Ingest(telemetry::Registry& metrics, EventLog* events_out, transport::Publisher* feed, IngestLimits limits,
               IngestOptions options)
    : metrics_(metrics), events_out_(events_out), feed_(feed), limits_(limits), options_(options) {
  // Every reason is exported from the start, at 0, so that a rate() over it works and a
  // dashboard shows the reasons that never happened.
  for (const char* reason : kWireReasons) count_rejected_init(reason);
  write_errors_events_ = metrics_.counter("soc_write_errors_total", kWriteErrorsHelp, {{"output", "events_out"}});
  write_errors_delivery_ = metrics_.counter("soc_write_errors_total", kWriteErrorsHelp, {{"output", "delivery"}});
  const telemetry::Labels queue{{"queue", "ingest"}};
  backlog_ = metrics_.gauge("soc_queue_depth", "Items waiting in one of the correlator's bounded queues.", queue);
  metrics_.gauge("soc_queue_limit", "The bound of one of the correlator's queues (items).", queue)
      .set(transport::ReceiverConfig::kQueuedPerConnection);
  busy_seconds_ = metrics_.counter("soc_ingest_busy_seconds_total",
                                   "Time the ingest thread spent handling messages: its rate is the thread's load "
                                   "(near 1, the correlator cannot keep up and the senders' windows fill).",
                                   {});
  blocked_gauge_ = metrics_.gauge("soc_ingest_blocked",
                                  "1 while the correlator reads no messages because an output cannot be written "
                                  "(what the senders send waits in their windows and spools).",
                                  {});
}

void Ingest::count_rejected_init(std::string_view reason) {
  rejected_messages_.emplace(std::string(reason),
                             metrics_.counter("soc_messages_rejected_total",
                                              "Messages from sensors refused by the correlator, by reason.",
                                              {{"reason", std::string(reason)}}));
}

void Ingest::count_rejected(std::string_view reason) {
  auto it = rejected_messages_.find(std::string(reason));
  if (it == rejected_messages_.end()) {
    count_rejected_init(reason);
    it = rejected_messages_.find(std::string(reason));
  }
  it->second.inc();
}

void Ingest::set_journal(DeliveryJournal* journal, const std::vector<DeliveryMark>& marks) {
  journal_ = journal;
  for (const auto& m : marks) {
    auto it = sensors_.find(m.sensor);
    if (it != sensors_.end()) it->second->seq.restore(m.epoch, m.next);
    else restored_[m.sensor].push_back(m);
  }
}

std::vector<DeliveryMark> Ingest::marks() const {
  std::vector<DeliveryMark> out;
  for (const auto& [id, s] : sensors_)
    for (const auto& m : s->seq.marks()) out.push_back({id, m.epoch, m.next});
  for (const auto& [id, list] : restored_) out.insert(out.end(), list.begin(), list.end());
  return out;
}

Ingest::SensorState* Ingest::sensor(std::string_view id, std::string_view site) {
  auto it = sensors_.find(std::string(id));
  if (it != sensors_.end()) return it->second.get();
  if (sensors_.size() >= limits_.max_sensors) return nullptr;
  auto s = std::make_unique<SensorState>();
  s->id = std::string(id);
  s->site = std::string(site);
  const telemetry::Labels by_sensor{{"sensor", s->id}};
  s->lost = metrics_.counter("soc_events_lost_total",
                             "Events a sensor numbered but the correlator never received (gaps in sequence numbers).",
                             by_sensor);
  s->duplicate = metrics_.counter("soc_events_duplicate_total",
                                  "Events received again (at-least-once resends), dropped by sequence number.",
                                  by_sensor);
  s->restarts = metrics_.counter("soc_sensor_restarts_total",
                                 "Times a sensor started a new sequence (a new run of the sensor).", by_sensor);
  s->batches = metrics_.counter("soc_batches_received_total", "Batches of events received from a sensor.", by_sensor);
  s->heartbeats = metrics_.counter("soc_heartbeats_received_total", "Heartbeats received from a sensor.", by_sensor);
  s->last_seen = metrics_.gauge("soc_sensor_last_seen_timestamp_seconds",
                                "Unix time of the last message from a sensor.", {{"sensor", s->id}, {"site", s->site}});
  static const std::string kSkewHelp =
      "Events accepted with an implausible @timestamp (beyond --clock-future ahead of the correlator's clock, or "
      "--clock-past behind it), flagged soc.clock_skew.";
  s->skew_future = metrics_.counter("soc_events_clock_skew_total", kSkewHelp, {{"sensor", s->id}, {"direction", "future"}});
  s->skew_past = metrics_.counter("soc_events_clock_skew_total", kSkewHelp, {{"sensor", s->id}, {"direction", "past"}});
  if (auto r = restored_.find(s->id); r != restored_.end()) {
    for (const auto& m : r->second) s->seq.restore(m.epoch, m.next);
    restored_.erase(r);
  }
  auto* raw = s.get();
  sensors_.emplace(s->id, std::move(s));
  return raw;
}

telemetry::Counter& Ingest::received_counter(SensorState& s, std::string_view dataset) {
  auto it = s.received.find(std::string(dataset));
  if (it != s.received.end()) return it->second;
  static const std::string kHelp = "Events accepted from a sensor, by event.dataset.";
  if (s.received.size() >= limits_.max_datasets_per_sensor) {
    if (!s.received_other) {
      s.received_other = metrics_.counter("soc_events_received_total", kHelp,
                                          {{"sensor", s.id}, {"site", s.site}, {"dataset", "other"}});
      log::warn("ingest", "sensor {} sent more than {} datasets: the rest are counted as dataset=\"other\"", s.id,
                limits_.max_datasets_per_sensor);
    }
    return s.received_other;
  }
  auto c = metrics_.counter("soc_events_received_total", kHelp,
                            {{"sensor", s.id}, {"site", s.site}, {"dataset", std::string(dataset)}});
  return s.received.emplace(std::string(dataset), c).first->second;
}

void Ingest::handle(transport::Receiver& rx, const transport::Delivery& d) {
  const auto start = std::chrono::steady_clock::now();
  backlog_run_ = d.queued ? backlog_run_ + 1 : 0;
  backlog_.set(static_cast<double>(backlog_run_));
  handle_message(rx, d);
  busy_seconds_.inc(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void Ingest::handle_message(transport::Receiver& rx, const transport::Delivery& d) {
  if (blocked()) {
    // The caller should not hand over anything while blocked; the sender resends it.
    log::debug("ingest", "a message from {} arrived while an output cannot be written: not acknowledged", d.sensor_id);
    return;
  }
  SensorState* s = sensor(d.sensor_id, d.site);
  if (!s) {
    count_rejected("too_many_sensors");
    rx.nack(d, "too_many_sensors: the correlator tracks no more sensors");
    return;
  }
  s->last_seen.set(to_unix_seconds(now()));
  if (d.header.type == transport::MessageType::Heartbeat) {
    handle_heartbeat(d, *s);
  } else {
    handle_batch(rx, d, *s);
  }
}

void Ingest::reject_event(SensorState& s, std::string_view reason, uint64_t seq, std::string_view detail) {
  auto it = s.rejected.find(std::string(reason));
  if (it == s.rejected.end()) {
    it = s.rejected
             .emplace(std::string(reason),
                      metrics_.counter("soc_events_rejected_total", "Events refused by the correlator's decoder, by reason.",
                                       {{"sensor", s.id}, {"reason", std::string(reason)}}))
             .first;
  }
  it->second.inc();
  // The first few of each sensor are logged in full; then one line per thousand.
  if (++s.rejects_logged <= 10 || s.rejects_logged % 1000 == 0) {
    log::warn("ingest", "sensor {} event #{} refused: {} (refusal {} from this sensor)", s.id, seq, detail,
              s.rejects_logged);
  }
}

void Ingest::account(const transport::Header& h, SensorState& s, const transport::SequenceVerdict& v) {
  if (v.restarted) {
    s.restarts.inc();
    if (++s.restarts_logged <= 10 || s.restarts_logged % 1000 == 0) {
      log::info("ingest", "sensor {} restarted (new epoch); its sequence starts again at {}", s.id, h.seq);
    }
  }
  if (v.lost) {
    s.lost.inc(static_cast<double>(v.lost));
    if (++s.gaps_logged <= 10 || s.gaps_logged % 1000 == 0) {
      log::warn("ingest", "sensor {}: {} events lost before #{} (gap {} of this sensor)", s.id, v.lost, h.seq,
                s.gaps_logged);
    }
  }
  if (v.duplicate) s.duplicate.inc(static_cast<double>(v.duplicate));
}

void Ingest::handle_batch(transport::Receiver& rx, const transport::Delivery& d, SensorState& s) {
  const auto& h = d.header;
  const size_t lines = transport::for_each_line(d.payload, [](std::string_view) {});
  if (lines != h.count) {
    count_rejected("count_mismatch");
    rx.nack(d, fmt::format("count_mismatch: the header says {} events, the payload holds {}", h.count, lines));
    return;
  }
  s.batches.inc();
  // The first batch of an epoch starts the count afresh (a correlator restarted without
  // --state-dir cannot know what an earlier run received), except when the sender said, in a
  // heartbeat of that epoch received before it, that nothing had been acknowledged yet: the
  // events before this batch reached no correlator (a sender that started while the link was
  // down and whose spool dropped its oldest batches before it ever connected), so they are
  // lost, as a gap would be (docs/wire-protocol.md, "Sequence numbers, loss and repeats").
  const bool first_since_unacked = h.epoch == s.unacked_epoch && s.seq.next_expected(h.epoch) == 0;
  if (h.epoch == s.unacked_epoch) s.unacked_epoch = 0;
  auto v = s.seq.on_batch(h.epoch, h.seq, h.count);
  if (first_since_unacked && v.lost == 0 && v.duplicate == 0 && v.accept_from == h.seq) v.lost = h.seq;
  account(h, s, v);
  if (v.accept_from < v.accept_to) process_events(d, s, v);
  Pending p;
  p.is_batch = true;
  p.header = h;
  p.routing_id = d.routing_id;
  p.sensor = &s;
  p.ack = v.ack;
  // A batch that was all repeats changed nothing: its mark is already recorded.
  p.mark_changed = v.accept_to > v.accept_from || v.lost > 0;
  commit(rx, std::move(p));
}

// Decodes, stamps, flags and counts one event (in event_); false when it is refused.
bool Ingest::accept_event(SensorState& s, uint64_t seq, Timestamp ingested) {
  if (auto missing = missing_required_field(event_)) {
    reject_event(s, to_string(DecodeError::MissingField), seq, fmt::format("no {}", *missing));
    return false;
  }
  // The key proves who sent it: the sensor's own claim is replaced. The id names the event
  // wherever it goes (evidence, the alert store, --events-out): the same event resent has the
  // same id.
  // Strings are written into the field's slot, reusing its capacity: event_ is decoded into
  // again and again, and the id (~30 bytes) would otherwise cost an allocation per event.
  string_field("observer.name").set_string(s.id);
  string_field("site.id").set_string(s.site);
  event_.set("event.sequence", static_cast<int64_t>(seq));
  const size_t prefix = id_.size();
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, seq);
  id_.append(digits, end);
  string_field("event.id").set_string(id_);
  id_.resize(prefix);
  event_.set("event.ingested", ingested);
  if (const auto ts = event_.timestamp()) {
    if (*ts > ingested + options_.clock_future) {
      event_.set("soc.clock_skew", "future");
      s.skew_future.inc();
    } else if (*ts < ingested - options_.clock_past) {
      event_.set("soc.clock_skew", "past");
      s.skew_past.inc();
    }
  }
  return true;
}

void Ingest::process_events(const transport::Delivery& d, SensorState& s, const transport::SequenceVerdict& v) {
  const auto& h = d.header;
  const bool to_file = events_out_ && events_out_->is_open();
  const bool to_feed = feed_ && feed_->wanted("event");
  // Events of one batch usually share a dataset: count runs, not events, to spare the lookups.
  std::string run_dataset;
  uint64_t run_count = 0;
  auto flush_run = [&] {
    if (run_count) received_counter(s, run_dataset).inc(static_cast<double>(run_count));
    run_count = 0;
  };
  id_ = fmt::format("{}:{}:", s.id, h.epoch);
  const Timestamp ingested = now();
  uint64_t seq = h.seq;
  transport::for_each_line(d.payload, [&](std::string_view line) {
    const uint64_t this_seq = seq++;
    if (this_seq < v.accept_from || this_seq >= v.accept_to) return;
    if (auto err = decode_event_into(line, event_)) {
      reject_event(s, to_string(err->code), this_seq, err->message());
      return;
    }
    if (!accept_event(s, this_seq, ingested)) return;
    const std::string_view dataset = event_.get_string("event.dataset");
    if (dataset != run_dataset) {
      flush_run();
      run_dataset.assign(dataset);
    }
    ++run_count;
    ++events_accepted_;
    for (Stage* stage : stages_) stage->on_event(event_);
    if (to_file || to_feed) {
      line_.clear();
      encode_event(event_, line_);
      if (to_file) events_out_->write(line_);
      if (to_feed) feed_->publish("event", line_);
    }
  });
  flush_run();
  accepted_snapshot_.store(events_accepted_, std::memory_order_relaxed);
}

// The alerts first: while they are not committed, the batch's events stay in --events-out's
// buffer, so that a crash then leaves no trace of the batch that a restart would take for
// "seen" (the marks are recovered from --events-out): the sender's resend is accepted and
// raises the alerts again. The other order could lose them: events on disk, alerts rolled back.
bool Ingest::write_outputs() {
  if (alerts_) {
    if (auto r = alerts_->commit(); !r) {
      if (!alerts_failing_) log::error("ingest", "the alerts cannot be committed: {}", r.error().message);
      alerts_failing_ = true;
      return false;
    }
    if (alerts_failing_) log::info("ingest", "the alerts are committed again");
    alerts_failing_ = false;
  }
  if (events_out_ && events_out_->is_open()) {
    if (!events_out_->flush() || (options_.sync == SyncPolicy::Full && !events_out_->sync())) {
      write_errors_events_.inc();
      return false;
    }
  }
  return true;
}

bool Ingest::record_mark(const Pending& p) {
  if (!journal_ || !p.is_batch || !p.mark_changed) return true;
  const uint64_t next = p.sensor->seq.next_expected(p.header.epoch);
  if (next == 0) return true;  // an epoch too old to be tracked: nothing to remember
  FilePosition pos;
  if (events_out_ && events_out_->is_open()) pos = {events_out_->inode(), events_out_->committed_bytes()};
  // Without --events-out the journal is the only record: it is synced under --sync full.
  const bool sync = options_.sync == SyncPolicy::Full && !(events_out_ && events_out_->is_open());
  if (auto r = journal_->record(p.sensor->id, p.header.epoch, next, pos, sync); !r) {
    write_errors_delivery_.inc();
    if (p.attempts == 0) log::error("delivery", "{}; not acknowledged until it can be written", r.error().message);
    return false;
  }
  if (journal_->wants_compaction()) {
    if (auto r = journal_->start(marks(), pos); !r)
      log::warn("delivery", "compacting the delivery journal failed ({}); it goes on growing", r.error().message);
  }
  return true;
}

void Ingest::acknowledge(transport::Receiver& rx, const Pending& p) {
  if (!p.is_batch) return;
  transport::Delivery d;
  d.header = p.header;
  d.routing_id = p.routing_id;
  rx.ack(d, p.ack, p.header.count);
}

void Ingest::commit(transport::Receiver& rx, Pending p) {
  if (!p.outputs_done) p.outputs_done = write_outputs();
  if (p.outputs_done && record_mark(p)) {
    acknowledge(rx, p);
    return;
  }
  p.since = std::chrono::steady_clock::now();
  p.attempts = 1;
  if (p.is_batch)
    log::error("ingest",
               "batch #{} ({} events) of sensor {} is not acknowledged until its outputs can be written; the "
               "correlator reads nothing more meanwhile (the senders keep what they send)",
               p.header.seq, p.header.count, p.sensor->id);
  pending_ = std::move(p);
  blocked_gauge_.set(1);
}

bool Ingest::retry(transport::Receiver& rx) {
  if (!pending_) return true;
  Pending& p = *pending_;
  ++p.attempts;
  if (!p.outputs_done) p.outputs_done = write_outputs();
  if (!p.outputs_done || !record_mark(p)) return false;
  acknowledge(rx, p);
  log::info("ingest", "outputs written again after {:.1f} s ({} attempts){}",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - p.since).count(), p.attempts,
            p.is_batch ? fmt::format(": batch #{} of sensor {} acknowledged", p.header.seq, p.sensor->id) : "");
  pending_.reset();
  blocked_gauge_.set(0);
  return true;
}

void Ingest::abandon() {
  if (!pending_) return;
  if (pending_->is_batch)
    log::warn("ingest", "stopping with batch #{} of sensor {} unacknowledged: its sender sends it again to the next run",
              pending_->header.seq, pending_->sensor->id);
  if (events_out_ && events_out_->is_open() && !pending_->outputs_done) events_out_->discard_pending();
  pending_.reset();
  blocked_gauge_.set(0);
}

// The sensor's clock against the correlator's: each heartbeat carries its send time. A sample
// is the offset minus the transit delay (never negative), so the largest recent sample is the
// best estimate (as NTP prefers its least delayed samples).
void Ingest::estimate_clock_offset(SensorState& s, Timestamp arrival) {
  const auto sent = event_.timestamp();
  if (!sent) return;
  s.offset_samples.push_back(std::chrono::duration<double>(*sent - arrival).count());
  if (s.offset_samples.size() > kOffsetSamples) s.offset_samples.pop_front();
  if (!s.clock_offset)
    s.clock_offset = metrics_.gauge("soc_sensor_clock_offset_seconds",
                                    "How far a sensor's clock is ahead of the correlator's (negative: behind), "
                                    "from the send times of its last heartbeats.",
                                    {{"sensor", s.id}, {"site", s.site}});
  s.clock_offset.set(*std::max_element(s.offset_samples.begin(), s.offset_samples.end()));
}

void Ingest::handle_heartbeat(const transport::Delivery& d, SensorState& s) {
  s.heartbeats.inc();
  const Timestamp arrival = now();
  if (auto err = decode_event_into(d.payload, event_)) {
    reject_event(s, to_string(err->code), d.header.seq, fmt::format("heartbeat: {}", err->message()));
    return;
  }
  estimate_clock_offset(s, arrival);
  // A sender that has had nothing acknowledged (it has not reached any correlator yet) says so
  // before its first batch: what it numbered before that batch never arrived anywhere.
  if (const auto acked = event_.get_int("soc.sensor.events_acked"); acked && *acked == 0 &&
      s.seq.next_expected(d.header.epoch) == 0) {
    s.unacked_epoch = d.header.epoch;
  }
  event_.set("observer.name", s.id);
  event_.set("site.id", s.site);
  if (!event_.contains("@timestamp")) event_.set("@timestamp", arrival);
  event_.set("event.kind", "metric");
  event_.set("event.dataset", "soc.heartbeat");
  if (!event_.contains("event.category")) event_.set("event.category", List{Value("host")});
  event_.set("event.ingested", arrival);
  // The sensor's own counters, typed (daemon/sensor_report.h).
  if (!s.report) s.report = std::make_unique<SensorReport>(metrics_, s.id, s.site);
  s.report->on_heartbeat(event_, d.header.epoch);
  for (Stage* stage : stages_) stage->on_heartbeat(s.id, s.site, event_);
  const bool to_file = events_out_ && events_out_->is_open();
  const bool to_feed = feed_ && feed_->wanted("heartbeat");
  if (to_file || to_feed) {
    line_.clear();
    encode_event(event_, line_);
    if (to_feed) feed_->publish("heartbeat", line_);
    if (to_file) {
      events_out_->write(line_);
      if (!events_out_->flush()) {
        // Nothing to acknowledge, but nothing more is read until the file takes it.
        write_errors_events_.inc();
        Pending p;
        p.since = std::chrono::steady_clock::now();
        p.attempts = 1;
        pending_ = std::move(p);
        blocked_gauge_.set(1);
      }
    }
  }
}

}  // namespace soc::daemon
