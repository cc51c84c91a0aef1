// The packet sensor's engine: frames in, events out. It decodes each frame, tracks flows,
// runs nDPI on them, and hands the sink one flow event per finished flow
// (event.dataset: flow) and one risk event each time a flow raises nDPI risks it had not raised
// before (event.dataset: ndpi.risk). Frames that cannot be used are counted by reason.
// Knows nothing of libpcap or of where events go. Single-threaded.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/event.h"
#include "core/result.h"
#include "sensors/packet/decode.h"
#include "sensors/packet/flow_table.h"
#include "sensors/packet/ndpi_adapter.h"

namespace soc::sensors::packet {

struct SensorConfig {
  std::string observer_name = "offline";  // observer.name
  std::string site = "offline";           // site.id
  FlowTableConfig flows;
  // The process ends with this sensor and never destroys it (offline reading to stdout): nDPI's
  // start-up allocations then come from an arena (Classifier::create).
  bool until_exit = false;
};

struct SensorStats {
  uint64_t frames = 0;                                // frames given to on_frame
  uint64_t packets = 0;                               // frames that became flow packets
  std::array<uint64_t, kDropReasonCount> dropped{};   // by DropReason
  uint64_t malformed = 0;                             // sum of the malformed reasons
  uint64_t unsupported_link = 0;                      // frames of a link type we do not decode
  std::array<uint64_t, kExportReasonCount> flows_exported{};  // by ExportReason
  uint64_t flow_events = 0, risk_events = 0;
};

class PacketSensor {
 public:
  // `sink` receives each event; the Event is valid only during the call.
  using EventSink = std::function<void(const Event&)>;

  static Result<std::unique_ptr<PacketSensor>> create(SensorConfig config, EventSink sink);
  ~PacketSensor();

  // One captured frame: `caplen` bytes captured of `wire_len` on the wire, at `ts_us`
  // (microseconds since the epoch), of libpcap link type `link_type`.
  void on_frame(int link_type, const uint8_t* frame, uint32_t caplen, uint32_t wire_len, int64_t ts_us);
  // Exports flows whose timeouts passed at `now_us` (live capture calls this when idle).
  void expire(int64_t now_us);
  // Exports every flow (end of input).
  void flush();

  const SensorStats& stats() const { return stats_; }
  size_t active_flows() const;

 private:
  PacketSensor() = default;
  void on_export(Flow& f, ExportReason reason);
  void announce_new_risks(Flow& f, int64_t ts_us);
  void add_common(const Flow& f, bool login = false);
  void put(std::string_view key, Value value);

  SensorConfig config_;
  EventSink sink_;
  std::unique_ptr<Classifier> classifier_;
  std::unique_ptr<FlowTable> table_;
  SensorStats stats_;
  Event event_;  // reused for every event
};

}  // namespace soc::sensors::packet
