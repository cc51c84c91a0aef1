#include "daemon/ingest.h"

#include <fmt/core.h>

#include "core/clock.h"
#include "core/log.h"
#include "daemon/alert_output.h"

namespace soc::daemon {

namespace {
constexpr const char* kWireReasons[] = {"frame_count", "bad_header", "bad_version", "bad_type", "too_large",
                                        "count_mismatch", "unknown_key", "sensor_mismatch", "site_mismatch",
                                        "too_many_sensors"};
}  // namespace

Ingest::Ingest(telemetry::Registry& metrics, EventLog* events_out, transport::Publisher* feed, IngestLimits limits)
    : metrics_(metrics), events_out_(events_out), feed_(feed), limits_(limits) {
  // Every reason is exported from the start, at 0, so that a rate() over it works and a
  // dashboard shows the reasons that never happened.
  for (const char* reason : kWireReasons) count_rejected_init(reason);
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

void Ingest::handle_batch(transport::Receiver& rx, const transport::Delivery& d, SensorState& s) {
  const auto& h = d.header;
  const size_t lines = transport::for_each_line(d.payload, [](std::string_view) {});
  if (lines != h.count) {
    count_rejected("count_mismatch");
    rx.nack(d, fmt::format("count_mismatch: the header says {} events, the payload holds {}", h.count, lines));
    return;
  }
  s.batches.inc();
  const auto v = s.seq.on_batch(h.epoch, h.seq, h.count);
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

  const bool to_file = events_out_ && events_out_->is_open();
  const bool to_feed = feed_ && feed_->wanted("event");
  // Events of one batch usually share a dataset: count runs, not events, to spare the lookups.
  std::string run_dataset;
  uint64_t run_count = 0;
  auto flush_run = [&] {
    if (run_count) received_counter(s, run_dataset).inc(static_cast<double>(run_count));
    run_count = 0;
  };
  const Timestamp ingested = now();
  uint64_t seq = h.seq;
  transport::for_each_line(d.payload, [&](std::string_view line) {
    const uint64_t this_seq = seq++;
    if (this_seq < v.accept_from || this_seq >= v.accept_to) return;
    if (auto err = decode_event_into(line, event_)) {
      reject_event(s, to_string(err->code), this_seq, err->message());
      return;
    }
    if (auto missing = missing_required_field(event_)) {
      reject_event(s, to_string(DecodeError::MissingField), this_seq, fmt::format("no {}", *missing));
      return;
    }
    // The key proves who sent it: the sensor's own claim is replaced.
    event_.set("observer.name", s.id);
    event_.set("site.id", s.site);
    event_.set("event.sequence", static_cast<int64_t>(this_seq));
    event_.set("event.ingested", ingested);
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
  if (to_file) events_out_->flush();
  accepted_snapshot_.store(events_accepted_, std::memory_order_relaxed);
  if (alerts_) {
    if (auto r = alerts_->commit(); !r) {
      // Not acknowledged: the sender keeps the batch and sends it again (ADR 0018).
      log::error("ingest", "batch #{} of sensor {} not acknowledged: {}", h.seq, s.id, r.error().message);
      return;
    }
  }
  rx.ack(d, v.ack, h.count);
}

void Ingest::handle_heartbeat(const transport::Delivery& d, SensorState& s) {
  s.heartbeats.inc();
  if (auto err = decode_event_into(d.payload, event_)) {
    reject_event(s, to_string(err->code), d.header.seq, fmt::format("heartbeat: {}", err->message()));
    return;
  }
  event_.set("observer.name", s.id);
  event_.set("site.id", s.site);
  if (!event_.contains("@timestamp")) event_.set("@timestamp", now());
  event_.set("event.kind", "metric");
  event_.set("event.dataset", "soc.heartbeat");
  if (!event_.contains("event.category")) event_.set("event.category", List{Value("host")});
  event_.set("event.ingested", now());
  // The sensor's own counters, typed (daemon/sensor_report.h).
  if (!s.report) s.report = std::make_unique<SensorReport>(metrics_, s.id, s.site);
  s.report->on_heartbeat(event_, d.header.epoch);
  for (Stage* stage : stages_) stage->on_heartbeat(s.id, s.site, event_);
  const bool to_file = events_out_ && events_out_->is_open();
  const bool to_feed = feed_ && feed_->wanted("heartbeat");
  if (to_file || to_feed) {
    line_.clear();
    encode_event(event_, line_);
    if (to_file) {
      events_out_->write(line_);
      events_out_->flush();
    }
    if (to_feed) feed_->publish("heartbeat", line_);
  }
}

}  // namespace soc::daemon
