#include "sensors/packet/packet_sensor.h"

#include <chrono>

#include "core/ip_address.h"

namespace soc::sensors::packet {
namespace {

Timestamp ts(int64_t us) { return Timestamp{std::chrono::microseconds{us}}; }

IpAddress ip(const std::array<uint8_t, 16>& bytes, uint8_t version) {
  if (version == 4) {
    return IpAddress::v4(static_cast<uint32_t>(bytes[0]) << 24 | static_cast<uint32_t>(bytes[1]) << 16 |
                         static_cast<uint32_t>(bytes[2]) << 8 | bytes[3]);
  }
  return IpAddress::v6(bytes.data());
}

std::string_view transport_name(uint8_t proto) {
  switch (proto) {
    case 1: return "icmp";
    case 2: return "igmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "ipv6-icmp";
    case 89: return "ospf";
    case 132: return "sctp";
    default: return {};
  }
}

List risk_list(uint64_t bits) {
  List out;
  for (unsigned i = 0; i < Classifier::kMaxRisk; ++i) {
    if (bits & (uint64_t{1} << i)) out.emplace_back(Classifier::risk_name(i));
  }
  return out;
}

}  // namespace

// Every key of an event is written once, so no lookup is needed (Event::set scans the fields).
void PacketSensor::put(std::string_view key, Value value) { event_.append_unchecked(key) = std::move(value); }

Result<std::unique_ptr<PacketSensor>> PacketSensor::create(SensorConfig config, EventSink sink) {
  auto classifier = Classifier::create(config.until_exit);
  if (!classifier) return fail(classifier.error());
  std::unique_ptr<PacketSensor> s(new PacketSensor());
  s->config_ = std::move(config);
  s->sink_ = std::move(sink);
  s->classifier_ = std::move(*classifier);
  PacketSensor* self = s.get();
  s->table_ = std::make_unique<FlowTable>(s->config_.flows,
                                          [self](Flow& f, ExportReason r) { self->on_export(f, r); });
  return s;
}

PacketSensor::~PacketSensor() {
  // The table's flows hold nDPI state: free them before the classifier goes.
  table_.reset();
}

size_t PacketSensor::active_flows() const { return table_->size(); }

void PacketSensor::on_frame(int link_type, const uint8_t* frame, uint32_t caplen, uint32_t wire_len, int64_t ts_us) {
  ++stats_.frames;
  if (!is_supported(link_type)) {
    ++stats_.unsupported_link;
    return;
  }
  DecodedPacket p;
  const auto outcome = decode(link_type, frame, caplen, wire_len, p);
  if (!outcome.ok) {
    ++stats_.dropped[static_cast<size_t>(outcome.reason)];
    if (is_malformed(outcome.reason)) ++stats_.malformed;
    return;
  }
  ++stats_.packets;
  bool from_source = false, created = false;
  Flow& f = table_->on_packet(p, ts_us, wire_len, from_source, created);
  if (created) f.dpi = classifier_->new_flow();
  if (p.protocol == 6 && p.payload_len > 0 && p.payload && f.login.watching())
    f.login.on_payload(p.payload, p.payload_len, from_source);
  if (f.dpi) {
    uint64_t risk = 0;
    const bool done = classifier_->process(*f.dpi, p.ip, p.ip_len, static_cast<uint64_t>(ts_us / 1000), p.protocol,
                                           f.packets(), risk);
    f.risk = risk;
    if (done) {
      f.result = std::make_unique<DpiResult>();
      classifier_->finish(*f.dpi, *f.result, f.risk);
      f.dpi.reset();
    }
    announce_new_risks(f, ts_us);
  }
}

void PacketSensor::expire(int64_t now_us) { table_->expire(now_us); }

void PacketSensor::flush() { table_->flush(ExportReason::EndOfInput); }

void PacketSensor::add_common(const Flow& f, bool login) {
  // A flow that carried a clear-text login is also an authentication event (the login
  // brute-force rules count it as they count a server's log line).
  put("event.category", login ? List{Value("network"), Value("authentication")} : List{Value("network")});
  put("observer.name", config_.observer_name);
  put("observer.type", "packet");
  put("site.id", config_.site);
  put("source.ip", ip(f.src_ip, f.ip_version));
  put("destination.ip", ip(f.dst_ip, f.ip_version));
  if (f.protocol == 6 || f.protocol == 17 || f.protocol == 132) {
    put("source.port", static_cast<int64_t>(f.src_port));
    put("destination.port", static_cast<int64_t>(f.dst_port));
  }
  const auto transport = transport_name(f.protocol);
  if (!transport.empty()) put("network.transport", transport);
  else put("network.transport", std::to_string(f.protocol));
  put("network.type", f.ip_version == 4 ? "ipv4" : "ipv6");
  if (f.has_vlan) put("network.vlan.id", static_cast<int64_t>(f.vlan));
}

void PacketSensor::announce_new_risks(Flow& f, int64_t ts_us) {
  const uint64_t fresh = f.risk & ~f.risk_reported;
  if (fresh == 0) return;
  f.risk_reported |= fresh;
  event_.clear();
  put("@timestamp", ts(ts_us));
  put("event.kind", "event");
  put("event.dataset", "ndpi.risk");
  add_common(f);
  put("event.start", ts(f.first_us));
  if (f.result) {
    put("ndpi.protocol", f.result->protocol);
    put("network.protocol", f.result->master_protocol);
  }
  put("ndpi.risk", risk_list(fresh));
  ++stats_.risk_events;
  sink_(event_);
}

void PacketSensor::on_export(Flow& f, ExportReason reason) {
  ++stats_.flows_exported[static_cast<size_t>(reason)];
  if (!f.result) {
    f.result = std::make_unique<DpiResult>();
    if (f.dpi) {
      classifier_->finish(*f.dpi, *f.result, f.risk);
      f.dpi.reset();
    } else {  // nDPI had no memory for this flow
      f.result->protocol = "Unknown";
      f.result->master_protocol = "unknown";
    }
    announce_new_risks(f, f.last_us);  // the give-up can raise risks too
  }
  const DpiResult& r = *f.result;
  event_.clear();
  put("@timestamp", ts(f.last_us));
  put("event.kind", "event");
  put("event.dataset", "flow");
  add_common(f, !r.login_protocol.empty());
  put("event.type", List{Value("connection"), Value("end")});
  put("event.start", ts(f.first_us));
  put("event.end", ts(f.last_us));
  put("event.duration", (f.last_us - f.first_us) * 1000);
  put("event.reason", to_string(reason));
  put("network.protocol", r.master_protocol);
  put("ndpi.protocol", r.protocol);
  if (!r.category.empty()) put("ndpi.category", r.category);
  put("ndpi.risk", risk_list(f.risk));
  put("source.packets", static_cast<int64_t>(f.src_packets));
  put("source.bytes", static_cast<int64_t>(f.src_bytes));
  put("destination.packets", static_cast<int64_t>(f.dst_packets));
  put("destination.bytes", static_cast<int64_t>(f.dst_bytes));
  put("network.packets", static_cast<int64_t>(f.packets()));
  put("network.bytes", static_cast<int64_t>(f.src_bytes + f.dst_bytes));
  if (!r.tls_server_name.empty()) put("tls.client.server_name", r.tls_server_name);
  if (!r.tls_version.empty()) put("tls.version", r.tls_version);
  if (!r.ja3_client.empty()) put("tls.client.ja3", r.ja3_client);
  if (!r.ja3_server.empty()) put("tls.server.ja3s", r.ja3_server);
  if (!r.dns_query.empty()) put("dns.question.name", r.dns_query);
  if (!r.http_host.empty()) put("url.domain", r.http_host);
  if (!r.http_method.empty()) put("http.request.method", r.http_method);
  if (!r.http_url.empty()) put("url.original", r.http_url);
  if (r.http_status > 0) put("http.response.status_code", static_cast<int64_t>(r.http_status));
  if (!r.user_agent.empty()) put("user_agent.original", r.user_agent);
  if (!r.login_protocol.empty()) {
    // A clear-text login: the outcome nDPI recorded (FTP's refusal), else the one the server's
    // replies gave (sensors/packet/login_watch.h): any refused login makes the flow a failure
    // unless one succeeded after it. Unknown when the flow ended before a reply.
    const char* outcome = f.login.successes() > 0                          ? "success"
                          : (r.login_failed || f.login.failures() > 0) ? "failure"
                                                                           : "unknown";
    put("event.action", r.login_protocol + "_login");
    put("event.outcome", outcome);
    if (!r.login_user.empty()) put("user.name", r.login_user);
  }
  if (!r.ssh_client.empty()) put("ndpi.ssh.client_banner", r.ssh_client);
  if (!r.ssh_server.empty()) put("ndpi.ssh.server_banner", r.ssh_server);
  ++stats_.flow_events;
  sink_(event_);
}

}  // namespace soc::sensors::packet
