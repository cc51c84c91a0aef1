// The correlator's ingest stage: takes what the transport delivers, accounts for sequence
// numbers per sensor (received, lost, repeated), decodes and checks each event, stamps it with
// the identity the sensor's key proves (observer.name, site.id), counts it, and hands it on:
// to the events-out file, to the live feed, and (later issues) to enrichment and rules.
//
// Single-threaded: owned by the correlator's main loop.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "core/json_codec.h"
#include "core/transport/publisher.h"
#include "core/transport/receiver.h"
#include "core/transport/sequence.h"
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

class Ingest {
 public:
  // `events_out` and `feed` may be null.
  Ingest(telemetry::Registry& metrics, EventLog* events_out, transport::Publisher* feed, IngestLimits limits = {});

  // Handles one delivery and acknowledges it through `rx`.
  void handle(transport::Receiver& rx, const transport::Delivery& d);
  // Counts a refusal reported by the transport (soc_messages_rejected_total{reason}).
  void count_rejected(std::string_view reason);
  // Adds a stage; it must outlive the Ingest.
  void add_stage(Stage* stage) { stages_.push_back(stage); }

  uint64_t events_accepted() const { return events_accepted_; }
  // The same for other threads (the API's status): updated once per batch.
  uint64_t events_accepted_snapshot() const { return accepted_snapshot_.load(std::memory_order_relaxed); }
  // The alert path whose alerts a batch raised are committed before the batch is acknowledged
  // (AlertOutput::commit; ADR 0018, "what an acknowledgement promises"). May be null.
  void set_alert_output(AlertOutput* alerts) { alerts_ = alerts; }

 private:
  struct SensorState {
    std::string id, site;
    transport::SequenceTracker seq;
    telemetry::Counter lost, duplicate, restarts, batches, heartbeats;
    telemetry::Gauge last_seen;
    std::unordered_map<std::string, telemetry::Counter> received;  // by dataset
    telemetry::Counter received_other;
    std::unordered_map<std::string, telemetry::Counter> rejected;  // by reason
    std::unique_ptr<SensorReport> report;                         // what its heartbeats say
    uint64_t rejects_logged = 0;
    uint64_t gaps_logged = 0;
    uint64_t restarts_logged = 0;
  };

  void count_rejected_init(std::string_view reason);
  SensorState* sensor(std::string_view id, std::string_view site);
  void handle_batch(transport::Receiver& rx, const transport::Delivery& d, SensorState& s);
  void handle_heartbeat(const transport::Delivery& d, SensorState& s);
  void reject_event(SensorState& s, std::string_view reason, uint64_t seq, std::string_view detail);
  telemetry::Counter& received_counter(SensorState& s, std::string_view dataset);
  void emit(std::string_view topic, const Event& e);

  telemetry::Registry& metrics_;
  EventLog* events_out_;
  transport::Publisher* feed_;
  IngestLimits limits_;
  std::unordered_map<std::string, std::unique_ptr<SensorState>> sensors_;
  std::unordered_map<std::string, telemetry::Counter> rejected_messages_;
  std::vector<Stage*> stages_;
  Event event_;        // reused for every event: its fields keep their capacity
  std::string line_;   // reused encoding buffer
  uint64_t events_accepted_ = 0;
  std::atomic<uint64_t> accepted_snapshot_{0};
  AlertOutput* alerts_ = nullptr;
};

}  // namespace soc::daemon
