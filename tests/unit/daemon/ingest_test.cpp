// The correlator's ingest (daemon/ingest.h): sequence accounting per sensor as the metrics show
// it, driven with real deliveries and a receiver that records what would be acknowledged.
#include "daemon/ingest.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/transport/receiver.h"

namespace soc::daemon {
namespace {

class RecordingReceiver final : public transport::Receiver {
 public:
  bool next(transport::Delivery& /*out*/, std::chrono::milliseconds /*timeout*/) override { return false; }
  void ack(const transport::Delivery& /*d*/, uint64_t next_seq, uint32_t /*count*/) override { acks.push_back(next_seq); }
  void nack(const transport::Delivery& /*d*/, std::string_view reason) override { nacks.emplace_back(reason); }
  std::string bound_endpoint() const override { return "inproc://test"; }
  std::vector<uint64_t> acks;
  std::vector<std::string> nacks;
};

constexpr uint64_t kEpoch = 1'764'900'000'000'000;  // a sender's start time, microseconds

struct Fixture {
  telemetry::Registry metrics;
  Ingest ingest{metrics, nullptr, nullptr};
  RecordingReceiver rx;
  std::string payload;

  void deliver(transport::MessageType type, uint64_t epoch, uint64_t seq, uint32_t count, std::string body) {
    payload = std::move(body);
    transport::Delivery d;
    d.header.type = type;
    d.header.epoch = epoch;
    d.header.seq = seq;
    d.header.count = count;
    d.header.sensor_id = "s1";
    d.header.site = "lab";
    d.sensor_id = "s1";
    d.site = "lab";
    d.payload = payload;
    ingest.handle(rx, d);
  }
  void heartbeat(uint64_t epoch, uint64_t next_seq, int64_t events_acked) {
    deliver(transport::MessageType::Heartbeat, epoch, next_seq, 0,
            "{\"@timestamp\":\"2026-12-05T01:00:00Z\",\"event.kind\":\"metric\",\"event.dataset\":\"soc.heartbeat\","
            "\"soc.sensor.events_acked\":" +
                std::to_string(events_acked) + "}");
  }
  void batch(uint64_t epoch, uint64_t first, uint32_t count) {
    std::string body;
    for (uint32_t i = 0; i < count; ++i) {
      body += "{\"@timestamp\":\"2026-12-05T01:00:00Z\",\"event.kind\":\"event\",\"event.dataset\":\"flow\","
              "\"event.category\":[\"network\"],\"message\":\"seqno=" +
              std::to_string(first + i) + "\"}\n";
    }
    deliver(transport::MessageType::Batch, epoch, first, count, body);
  }
  double counter(const std::string& name, const telemetry::Labels& labels) {
    return metrics.counter(name, "", labels).value();
  }
  double lost() { return counter("soc_events_lost_total", {{"sensor", "s1"}}); }
  double received() { return counter("soc_events_received_total", {{"sensor", "s1"}, {"site", "lab"}, {"dataset", "flow"}}); }
};

TEST_CASE("events a sender numbered before it ever reached a correlator are counted lost at its first batch") {
  // A sensor started while its link was down: its drop-oldest spool dropped events 0-999 before
  // it connected. Its first heartbeat says nothing was acknowledged; its first batch is #1000.
  Fixture f;
  f.heartbeat(kEpoch, 1002, 0);
  f.batch(kEpoch, 1000, 2);
  CHECK(f.lost() == 1000);
  CHECK(f.received() == 2);
  CHECK(f.rx.acks == std::vector<uint64_t>{1002});
  // Only the first batch: later gaps are counted as gaps, once.
  f.batch(kEpoch, 1002, 1);
  f.batch(kEpoch, 1010, 1);
  CHECK(f.lost() == 1007);
  CHECK(f.received() == 4);
  // A later heartbeat of the same run, even one saying 0, changes nothing for a tracked epoch.
  f.heartbeat(kEpoch, 1011, 0);
  f.batch(kEpoch, 1011, 1);
  CHECK(f.lost() == 1007);
}

TEST_CASE("a sender that connects at once starts at 0 and loses nothing") {
  Fixture f;
  f.heartbeat(kEpoch, 0, 0);
  f.batch(kEpoch, 0, 3);
  CHECK(f.lost() == 0);
  CHECK(f.received() == 3);
}

TEST_CASE("without that heartbeat, the first batch of an epoch starts the count afresh") {
  // What a correlator restarted without --state-dir sees: the events before the first batch may
  // have reached its previous run.
  Fixture f;
  f.batch(kEpoch, 1000, 2);
  CHECK(f.lost() == 0);
  CHECK(f.received() == 2);
}

TEST_CASE("a heartbeat of a sender that had events acknowledged does not make the events before its batch lost") {
  Fixture f;
  f.heartbeat(kEpoch, 1002, 500);  // acknowledged by a correlator run before this one
  f.batch(kEpoch, 1000, 2);
  CHECK(f.lost() == 0);
}

TEST_CASE("a heartbeat of one epoch says nothing about another") {
  Fixture f;
  f.heartbeat(kEpoch, 0, 0);
  f.batch(kEpoch + 1, 1000, 2);  // a batch of another run (a restarted sender)
  CHECK(f.lost() == 0);
  f.batch(kEpoch, 500, 1);  // the announced run's first batch still counts what is before it
  CHECK(f.lost() == 500);
}

}  // namespace
}  // namespace soc::daemon
