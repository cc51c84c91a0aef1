#include "sensors/packet/flow_table.h"

#include <cassert>
#include <cstring>

namespace soc::sensors::packet {

std::string_view to_string(ExportReason r) {
  switch (r) {
    case ExportReason::IdleTimeout: return "idle_timeout";
    case ExportReason::ActiveTimeout: return "active_timeout";
    case ExportReason::TcpEnd: return "tcp_end";
    case ExportReason::FlowTableFull: return "flow_table_full";
    case ExportReason::EndOfInput: return "end_of_input";
  }
  return "unknown";
}

size_t FlowKeyHash::operator()(const FlowKey& k) const {
  // Eight bytes at a time with a multiply-xorshift mix: the key is 40 bytes of addresses and ports.
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t{k.protocol} << 8 | k.ip_version);
  auto mix = [&h](uint64_t w) {
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  };
  uint64_t w;
  for (size_t i = 0; i < 16; i += 8) {
    std::memcpy(&w, k.lo_ip.data() + i, 8);
    mix(w);
    std::memcpy(&w, k.hi_ip.data() + i, 8);
    mix(w);
  }
  mix(uint64_t{k.lo_port} << 32 | uint64_t{k.hi_port} << 16 | k.vlan);
  return static_cast<size_t>(h);
}

namespace {
uint64_t word(const void* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
bool same16(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b) {
  return ((word(a.data()) ^ word(b.data())) | (word(a.data() + 8) ^ word(b.data() + 8))) == 0;
}
// memcmp(a, b, 16) < 0, in two big-endian word comparisons.
bool less16(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b) {
  const uint64_t a0 = __builtin_bswap64(word(a.data())), b0 = __builtin_bswap64(word(b.data()));
  if (a0 != b0) return a0 < b0;
  return __builtin_bswap64(word(a.data() + 8)) < __builtin_bswap64(word(b.data() + 8));
}
}  // namespace

bool operator==(const FlowKey& a, const FlowKey& b) {
  const auto* x = reinterpret_cast<const unsigned char*>(&a);
  const auto* y = reinterpret_cast<const unsigned char*>(&b);
  uint64_t d = 0;
  for (size_t i = 0; i < sizeof(FlowKey); i += 8) d |= word(x + i) ^ word(y + i);
  return d == 0;
}

FlowKey make_key(const DecodedPacket& p) {
  FlowKey k;
  k.protocol = p.protocol;
  k.ip_version = p.ip_version;
  k.vlan = p.has_vlan ? p.vlan_id : 0;
  const bool src_lower = less16(p.src, p.dst);
  if (src_lower || (same16(p.src, p.dst) && p.src_port <= p.dst_port)) {
    k.lo_ip = p.src, k.hi_ip = p.dst, k.lo_port = p.src_port, k.hi_port = p.dst_port;
  } else {
    k.lo_ip = p.dst, k.hi_ip = p.src, k.lo_port = p.dst_port, k.hi_port = p.src_port;
  }
  return k;
}

FlowTable::FlowTable(FlowTableConfig config, ExportFn on_export)
    : config_(config), on_export_(std::move(on_export)) {
  assert(config_.max_flows >= 1);
  flows_.reserve(std::min<size_t>(config_.max_flows, 1 << 16));
}

FlowTable::~FlowTable() = default;

void FlowTable::unlink(Flow* f) {
  (f->prev ? f->prev->next : head_) = f->next;
  (f->next ? f->next->prev : tail_) = f->prev;
  f->prev = f->next = nullptr;
}

void FlowTable::push_back(Flow* f) {
  f->prev = tail_;
  f->next = nullptr;
  (tail_ ? tail_->next : head_) = f;
  tail_ = f;
}

void FlowTable::export_flow(Flow* f, ExportReason reason) {
  unlink(f);
  on_export_(*f, reason);
  flows_.erase(f->key);  // destroys f
}

void FlowTable::expire(int64_t now_us) {
  if (now_us > now_us_) now_us_ = now_us;
  // Walk from the least recently seen end while a flow could have timed out: the shortest
  // timeout (the TCP linger) bounds the walk.
  const int64_t shortest = std::min(config_.idle_timeout_us, config_.tcp_close_linger_us);
  Flow* f = head_;
  while (f && f->last_us + shortest <= now_us_) {
    Flow* next = f->next;
    if (f->closed && f->last_us + config_.tcp_close_linger_us <= now_us_) {
      export_flow(f, ExportReason::TcpEnd);
    } else if (f->last_us + config_.idle_timeout_us <= now_us_) {
      export_flow(f, ExportReason::IdleTimeout);
    }
    f = next;
  }
  last_sweep_us_ = now_us_;
}

void FlowTable::flush(ExportReason reason) {
  while (head_) export_flow(head_, reason);
}

Flow& FlowTable::on_packet(const DecodedPacket& p, int64_t ts_us, uint32_t wire_bytes, bool& from_source,
                           bool& created) {
  // Sweep at most once a second of packet time: cheap, and timeouts are seconds long.
  if (ts_us > now_us_) now_us_ = ts_us;
  if (now_us_ - last_sweep_us_ >= 1'000'000) expire(now_us_);

  const FlowKey key = make_key(p);
  created = false;
  auto it = flows_.find(key);
  if (it != flows_.end()) {
    Flow* f = it->second.get();
    const bool syn_only = p.protocol == 6 && (p.tcp_flags & (tcp_flag::kSyn | tcp_flag::kAck)) == tcp_flag::kSyn;
    if (f->closed && syn_only) {
      export_flow(f, ExportReason::TcpEnd);  // a new connection reuses the ports
      it = flows_.end();
    } else if (ts_us - f->first_us >= config_.active_timeout_us) {
      export_flow(f, ExportReason::ActiveTimeout);
      it = flows_.end();
    }
  }
  Flow* f;
  if (it == flows_.end()) {
    if (flows_.size() >= config_.max_flows) export_flow(head_, ExportReason::FlowTableFull);
    auto owned = std::make_unique<Flow>();
    f = owned.get();
    f->key = key;
    f->src_ip = p.src, f->dst_ip = p.dst, f->src_port = p.src_port, f->dst_port = p.dst_port;
    f->ip_version = p.ip_version, f->protocol = p.protocol;
    f->has_vlan = p.has_vlan, f->vlan = p.vlan_id;
    f->first_us = f->last_us = ts_us;
    flows_.emplace(key, std::move(owned));
    push_back(f);
    ++created_;
    created = true;
  } else {
    f = it->second.get();
    unlink(f);
    push_back(f);
    if (ts_us > f->last_us) f->last_us = ts_us;
  }
  from_source = same16(p.src, f->src_ip) && p.src_port == f->src_port;
  if (from_source) {
    ++f->src_packets;
    f->src_bytes += wire_bytes;
  } else {
    ++f->dst_packets;
    f->dst_bytes += wire_bytes;
  }
  if (p.protocol == 6) {
    if (p.tcp_flags & tcp_flag::kRst) f->closed = true;
    if (p.tcp_flags & tcp_flag::kFin) f->fin_mask |= from_source ? 1 : 2;
    if (f->fin_mask == 3) f->closed = true;
  }
  return *f;
}

}  // namespace soc::sensors::packet
