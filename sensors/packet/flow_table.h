// The bidirectional flow table: packets of both directions of a conversation (same addresses,
// ports, IP protocol and VLAN) land in one Flow. Flows end by idle timeout, active timeout, TCP
// FIN from both sides or RST (after a short linger that absorbs the last ACKs), when the table is
// full (the least recently seen flow goes first), and at the end of input. Time is packet time,
// so a replayed capture ends its flows exactly as live traffic would.
// Single-threaded. The table owns its flows; a Flow& given to the export callback is valid only
// during the call.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "sensors/packet/decode.h"
#include "sensors/packet/login_watch.h"
#include "sensors/packet/ndpi_adapter.h"

namespace soc::sensors::packet {

// Why a flow was exported (event.reason). Names are stable.
enum class ExportReason : uint8_t { IdleTimeout, ActiveTimeout, TcpEnd, FlowTableFull, EndOfInput };
inline constexpr size_t kExportReasonCount = 5;
std::string_view to_string(ExportReason r);

// The direction-free identity of a flow: the lower (address, port) end first.
struct FlowKey {
  std::array<uint8_t, 16> lo_ip{}, hi_ip{};
  uint16_t lo_port = 0, hi_port = 0;
  uint16_t vlan = 0;
  uint8_t protocol = 0;
  uint8_t ip_version = 0;
  friend bool operator==(const FlowKey& a, const FlowKey& b);  // five 8-byte words, no memcmp call
};
static_assert(sizeof(FlowKey) == 40, "FlowKey is compared as five 8-byte words");
struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const;
};
FlowKey make_key(const DecodedPacket& p);

struct Flow {
  FlowKey key;
  // The source is the end that sent the first packet seen.
  std::array<uint8_t, 16> src_ip{}, dst_ip{};
  uint16_t src_port = 0, dst_port = 0;
  uint8_t ip_version = 0, protocol = 0;
  bool has_vlan = false;
  uint16_t vlan = 0;
  int64_t first_us = 0, last_us = 0;  // packet time, microseconds since the epoch
  uint64_t src_packets = 0, src_bytes = 0, dst_packets = 0, dst_bytes = 0;
  uint8_t fin_mask = 0;   // bit 0: the source sent FIN, bit 1: the destination did
  bool closed = false;    // FIN both ways or RST: exported after the linger
  uint64_t risk_reported = 0;  // nDPI risk bits already announced by a risk event
  uint64_t risk = 0;           // the latest risk bits
  LoginWatch login;                  // clear-text login replies (TCP only)
  DpiFlowPtr dpi;                    // while detection runs
  std::unique_ptr<DpiResult> result; // once it completed
  // The recency list (least recently seen first), for idle expiry and eviction.
  Flow* prev = nullptr;
  Flow* next = nullptr;

  uint64_t packets() const { return src_packets + dst_packets; }
};

struct FlowTableConfig {
  int64_t idle_timeout_us = 120'000'000;
  int64_t active_timeout_us = 1'800'000'000;
  int64_t tcp_close_linger_us = 5'000'000;
  size_t max_flows = 100'000;
};

class FlowTable {
 public:
  using ExportFn = std::function<void(Flow&, ExportReason)>;

  // `on_export` is called for every flow leaving the table, before it is destroyed.
  FlowTable(FlowTableConfig config, ExportFn on_export);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // The flow of packet `p` seen at `ts_us`, created when new (which may first export the least
  // recently seen flow when the table is full), with its counters and TCP state updated for this
  // packet of `wire_bytes`. `from_source` tells whether the packet went source -> destination.
  // Exports flows whose time has come first (the clock is the highest packet time seen).
  Flow& on_packet(const DecodedPacket& p, int64_t ts_us, uint32_t wire_bytes, bool& from_source, bool& created);

  // Exports every flow whose idle, active or linger time has passed at `now_us`.
  void expire(int64_t now_us);
  // Exports every flow (end of input, shutdown).
  void flush(ExportReason reason = ExportReason::EndOfInput);

  size_t size() const { return flows_.size(); }
  uint64_t created() const { return created_; }

 private:
  void export_flow(Flow* f, ExportReason reason);
  void unlink(Flow* f);
  void push_back(Flow* f);

  FlowTableConfig config_;
  ExportFn on_export_;
  std::unordered_map<FlowKey, std::unique_ptr<Flow>, FlowKeyHash> flows_;
  Flow* head_ = nullptr;  // least recently seen
  Flow* tail_ = nullptr;  // most recently seen
  int64_t now_us_ = 0;
  int64_t last_sweep_us_ = 0;
  uint64_t created_ = 0;
};

}  // namespace soc::sensors::packet
