// The correlator's ingest stage: takes what the transport delivers, accounts for sequence
// numbers per sensor (received, lost, repeated), decodes and checks each event, stamps it with
// the identity the sensor's key proves (observer.name, site.id) and its own (event.id), flags
// an implausible clock, counts it, and hands it on: to the stages (enrichment, rules, baseline),
// the events-out file and the live feed. It acknowledges a batch only once everything the batch
// caused is where the correlator promised it (docs/adr/0018 and 0029-delivery.md): its events
// written to --events-out (and synced under --sync full), the alerts it raised committed, its
// sequence mark recorded in the delivery journal.
//
// A write that fails is not acknowledged: the batch waits (blocked()), retry() writes it again,
// and the correlator reads no further message meanwhile, so senders keep what they have and
// slow down (their window fills) instead of anything being lost or reordered.
//
// Single-threaded: owned by the correlator's main loop (the ingest thread).
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "core/json_codec.h"
#include "core/transport/publisher.h"
#include "core/transport/receiver.h"
#include "core/transport/sequence.h"
#include "daemon/delivery_journal.h"
#include "daemon/event_log.h"
#include "daemon/sensor_report.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon {

class AlertOutput;

// A stage of the correlator's pipeline after ingest: enrichment (the inventory), detection (the
// rules), observation (what the baseline needs to know: which sensor and log source reported).
// Stages run in the order they were added, on the correlator's main thread, for every accepted
// event, after it was stamped with the sensor's identity and before it is written to
// --events-out and the live feed, so what a stage adds (site.level, asset.kind) is recorded.
class Stage {
 public:
  virtual ~Stage() = default;
  // May add fields; must not remove the identity stamped by ingest.
  virtual void on_event(Event& event) = 0;
  // A heartbeat from an accepted sensor (already counted by ingest).
  virtual void on_heartbeat(std::string_view /*sensor*/, std::string_view /*site*/, const Event& /*heartbeat*/) {}
};

struct IngestLimits {
  size_t max_datasets_per_sensor = 64;  // beyond: counted under dataset="other"
  size_t max_sensors = 4096;            // only reachable in --insecure mode
};

// --sync: how durable an acknowledged batch is.
enum class SyncPolicy {
  Normal,  // written to the kernel (write(2)) before the ack: survives a crash of the correlator
  Full,    // also fdatasync'ed before the ack: survives a crash of the machine
};

struct IngestOptions {
  SyncPolicy sync = SyncPolicy::Normal;
  // Events whose @timestamp is this far ahead of (behind) the correlator's clock are accepted,
  // flagged soc.clock_skew = "future" ("past") and counted (docs/fields.md).
  std::chrono::microseconds clock_future = std::chrono::minutes(5);
  std::chrono::microseconds clock_past = std::chrono::hours(24);
};

class Ingest {
 public:
  // `events_out` and `feed` may be null.
  Ingest(telemetry::Registry& metrics, EventLog* events_out, transport::Publisher* feed, IngestLimits limits = {},
         IngestOptions options = {});

  // Handles one delivery and acknowledges it through `rx` (unless its outputs cannot be written:
  // then blocked() is true until retry() succeeds).
  void handle(transport::Receiver& rx, const transport::Delivery& d);
  // Counts a refusal reported by the transport (soc_messages_rejected_total{reason}).
  void count_rejected(std::string_view reason);
  // Adds a stage; it must outlive the Ingest.
  void add_stage(Stage* stage) { stages_.push_back(stage); }
  // The alert path whose alerts a batch raised are committed before the batch is acknowledged
  // (AlertOutput::commit; ADR 0018, "what an acknowledgement promises"). May be null.
  void set_alert_output(AlertOutput* alerts) { alerts_ = alerts; }
  // Records a mark per batch in `journal` (may be null), after restoring `marks` (what a
  // previous run recorded and the recovery from --events-out found).
  void set_journal(DeliveryJournal* journal, const std::vector<DeliveryMark>& marks);
  // Every mark the trackers hold (for the journal's compaction and for tests).
  std::vector<DeliveryMark> marks() const;

  // True while a batch (or heartbeat) could not be written: the caller must not hand over more
  // deliveries, and calls retry() from time to time.
  bool blocked() const { return pending_.has_value(); }
  // Writes what is pending again; acknowledges the batch when it succeeds. Returns !blocked().
  bool retry(transport::Receiver& rx);
  // At shutdown, while still blocked: the pending batch's events that are not written are
  // dropped instead of being written at exit, so that nothing of a batch that was not
  // acknowledged (its alerts not committed) reaches --events-out, where the next run would take
  // it for seen: its sender sends it again then.
  void abandon();

  uint64_t events_accepted() const { return events_accepted_; }
  // The same for other threads (the API's status): updated once per batch.
  uint64_t events_accepted_snapshot() const { return accepted_snapshot_.load(std::memory_order_relaxed); }

 private:
  struct SensorState {
    std::string id, site;
    transport::SequenceTracker seq;
    telemetry::Counter lost, duplicate, restarts, batches, heartbeats;
    telemetry::Gauge last_seen, clock_offset;
    std::unordered_map<std::string, telemetry::Counter> received;  // by dataset
    telemetry::Counter received_other;
    std::unordered_map<std::string, telemetry::Counter> rejected;  // by reason
    std::unique_ptr<SensorReport> report;  // what its heartbeats say
    telemetry::Counter skew_future, skew_past;
    std::deque<double> offset_samples;  // heartbeat send time - arrival, seconds, newest last
    // The epoch of the last heartbeat that said its sender has had nothing acknowledged yet
    // (soc.sensor.events_acked 0), until that epoch's first batch arrives; 0 when none.
    uint64_t unacked_epoch = 0;
    uint64_t rejects_logged = 0;
    uint64_t gaps_logged = 0;
    uint64_t restarts_logged = 0;
  };
  // What waits for its outputs to be written before it is acknowledged.
  struct Pending {
    bool is_batch = false;
    transport::Header header;
    std::string routing_id;
    SensorState* sensor = nullptr;
    uint64_t ack = 0;
    bool outputs_done = false;  // written; only the mark is left to record
    bool mark_changed = false;  // the batch moved its epoch's mark (not all repeats)
    std::chrono::steady_clock::time_point since;
    uint64_t attempts = 0;
  };

  void count_rejected_init(std::string_view reason);
  SensorState* sensor(std::string_view id, std::string_view site);
  void handle_message(transport::Receiver& rx, const transport::Delivery& d);
  void handle_batch(transport::Receiver& rx, const transport::Delivery& d, SensorState& s);
  void account(const transport::Header& h, SensorState& s, const transport::SequenceVerdict& v);
  void process_events(const transport::Delivery& d, SensorState& s, const transport::SequenceVerdict& v);
  bool accept_event(SensorState& s, uint64_t seq, Timestamp ingested);
  // event_'s field `key` (added when absent), to be set in place with Value::set_string.
  Value& string_field(std::string_view key) {
    if (Value* v = event_.find(key)) return *v;
    return event_.append_unchecked(key);
  }
  void handle_heartbeat(const transport::Delivery& d, SensorState& s);
  void estimate_clock_offset(SensorState& s, Timestamp arrival);
  void reject_event(SensorState& s, std::string_view reason, uint64_t seq, std::string_view detail);
  telemetry::Counter& received_counter(SensorState& s, std::string_view dataset);
  // Makes the outputs durable and records the mark; acknowledges, or leaves `p` pending.
  void commit(transport::Receiver& rx, Pending p);
  bool write_outputs();
  bool record_mark(const Pending& p);
  void acknowledge(transport::Receiver& rx, const Pending& p);

  telemetry::Registry& metrics_;
  EventLog* events_out_;
  transport::Publisher* feed_;
  AlertOutput* alerts_ = nullptr;
  DeliveryJournal* journal_ = nullptr;
  IngestLimits limits_;
  IngestOptions options_;
  std::unordered_map<std::string, std::unique_ptr<SensorState>> sensors_;
  std::unordered_map<std::string, std::vector<DeliveryMark>> restored_;  // by sensor, until it is seen
  std::unordered_map<std::string, telemetry::Counter> rejected_messages_;
  std::vector<Stage*> stages_;
  std::optional<Pending> pending_;
  bool alerts_failing_ = false;  // the last commit of the alerts failed (logged once per run)
  telemetry::Counter write_errors_events_, write_errors_delivery_;
  telemetry::Gauge blocked_gauge_;
  // How far behind the senders the ingest thread is: messages taken one after the other without
  // waiting (a lower bound of the receive queue's depth), and the time spent handling them.
  telemetry::Gauge backlog_;
  telemetry::Counter busy_seconds_;
  uint64_t backlog_run_ = 0;
  Event event_;        // reused for every event: its fields keep their capacity
  std::string line_;   // reused encoding buffer
  std::string id_;     // reused event.id buffer
  uint64_t events_accepted_ = 0;
  std::atomic<uint64_t> accepted_snapshot_{0};
};

}  // namespace soc::daemon
